import { ROLES, type Role } from "@/lib/session";

/** The one role picker (commands, aliases, simulator). */
export function RoleSelect({
  id,
  label,
  value,
  onChange,
  roles = ROLES,
  disabled,
}: {
  id: string;
  label: string;
  value: Role;
  onChange: (role: Role) => void;
  roles?: readonly Role[];
  disabled?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as Role)}>
        {roles.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
    </div>
  );
}
