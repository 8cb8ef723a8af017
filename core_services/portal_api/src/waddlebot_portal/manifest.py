"""The portal manifest: no chat commands yet.

To offer commands, add them here with their handlers, serve `module_blueprint(SPEC)` in
app.py, and set `module=True` on this service's row of `flask_core.service_table`.
"""

from __future__ import annotations

from flask_core import Manifest, ModuleSpec

VERSION = "0.1.0"

MANIFEST = Manifest(name="portal", version=VERSION, description="Portal (generated).")
SPEC = ModuleSpec(manifest=MANIFEST, commands={})
