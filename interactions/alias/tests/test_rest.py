"""The alias REST writes the portal uses: add, read one, remove; the rules of `!alias add`
(a loop is a 409, a bad name a 422), a service token required, the router's list dropped."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers

from .test_chat import event, only_community, text_of

BASE = "/alias/api/v1/communities"


def auth() -> dict[str, str]:
    return service_headers("alias", issuer="portal")


async def test_add_read_and_remove_an_alias_over_http(fleet: Any) -> None:
    async with fleet() as f:
        assert (await f.post(event("hello"))).status_code == 200  # provisions the community
        c = await only_community(f)
        url = f"{BASE}/{c}/aliases"
        assert (await f.http.post(url, json={"name": "hi", "text": "Hi"})).status_code == 401
        added = await f.http.post(url, headers=auth(), json={"name": "Hi", "text": "!quote", "role": "vip"})
        assert added.status_code == 201, added.text
        assert added.json() == {"name": "hi", "text": "!quote", "role": "vip", "cooldown": None, "uses": 0,
                                "command": "quote"}  # fmt: skip
        assert (await f.http.get(url, headers=auth())).json()["items"][0]["name"] == "hi"
        assert (await f.post(event("!hi"))).json()["status"] == "rejected"  # a vip alias, a viewer
        vip = event("!hi", user="vera", roles=["vip"])
        assert (await f.post(vip)).json()["status"] == "processed"


async def test_the_rules_of_alias_add_hold_over_http(fleet: Any) -> None:
    async with fleet() as f:
        assert (await f.post(event("hello"))).status_code == 200
        c = await only_community(f)
        url = f"{BASE}/{c}/aliases"
        for bad in ({"name": "!hi", "text": "x"}, {"name": "two words", "text": "x"},
                    {"name": "hi", "text": "   "}, {"name": "hi", "text": "x", "role": "admin"},
                    {"name": "hi", "text": "x", "extra": 1}, {"name": "hi", "text": "x", "cooldown": -1}):  # fmt: skip
            answer = await f.http.post(url, headers=auth(), json=bad)
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.json()["error"]["code"] == "validation_error"
        assert (await f.http.post(url, headers=auth(), json={"name": "a", "text": "!b"})).status_code == 201
        loop = await f.http.post(url, headers=auth(), json={"name": "b", "text": "!a"})
        assert loop.status_code == 409 and "loop" in loop.json()["error"]["message"]
        assert (await f.http.get(f"{url}/a", headers=auth())).json()["text"] == "!b"
        assert (await f.http.get(f"{url}/nope", headers=auth())).status_code == 404
        assert (await f.http.delete(f"{url}/a", headers=auth())).status_code == 204
        assert (await f.http.delete(f"{url}/a", headers=auth())).status_code == 404
        listed = await f.http.get(url, headers=auth())
        assert listed.json()["items"] == []
        # what the portal added answers from chat, and is gone from chat once removed
        assert (
            await f.http.post(url, headers=auth(), json={"name": "hi", "text": "Hello!"})
        ).status_code == 201
        assert text_of((await f.post(event("!hi"))).json()) == "Hello!"
        assert (await f.http.delete(f"{url}/hi", headers=auth())).status_code == 204
        assert (await f.post(event("!hi"))).json()["responses"] == []
