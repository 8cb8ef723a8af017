"""Domain pieces without HTTP: chat text, mentions, TLS to Ollama, isolation bounds."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from flask_core.testing import started, wait_until
from waddlebot_ai import service, text
from waddlebot_ai.app import create_app
from waddlebot_ai.communities import CommunityAi
from waddlebot_ai.providers import ProviderError
from waddlebot_ai.settings import AiSettings


def test_markdown_is_stripped_for_twitch_and_kept_elsewhere() -> None:
    md = "# Title\n**Bold** and *it* and __u__ ~~no~~ `code`\n\n- one\n- two\n[docs](https://x.example/d)"
    assert (
        text.for_chat(md, "twitch")
        == "Title Bold and it and u no code • one • two docs (https://x.example/d)"
    )
    assert text.for_chat(md, "discord") == md
    assert text.strip_markdown("```py\nprint(1)\n```") == "print(1)"


def test_an_answer_is_never_a_command_and_fits_the_platform() -> None:
    assert text.for_chat("/ban streamer", "twitch") == "ban streamer"
    assert text.for_chat("!quote remove 1", "discord") == "quote remove 1"
    assert text.for_chat(" . /mod me", "slack") == "mod me"
    long = ("word " * 200).strip()
    cut = text.for_chat(long, "twitch")
    assert len(cut) <= 500 and cut.endswith("…") and cut.removesuffix("…").endswith("word")


def test_mentions_by_name_and_by_id() -> None:
    pattern = text.mention_pattern(["waddlebot"], ["123456"])
    assert text.mentions_bot("@WaddleBot what's up", pattern) == "what's up"
    assert text.mentions_bot("waddlebot: hi there", pattern) == "hi there"
    assert text.mentions_bot("<@!123456> hello", pattern) == "hello"
    assert text.mentions_bot("I like waddlebots", pattern) is None
    assert text.mentions_bot("@waddlebotfan hi", pattern) is None
    assert text.mentions_bot("@waddlebot", pattern) is None  # nothing asked
    assert text.mention_pattern([], []) is None


def test_the_waddleai_base_may_end_in_v1(make_settings: Any) -> None:
    assert (
        make_settings(AiSettings, waddleai_base_url="http://p:8000").waddleai_v1_url() == "http://p:8000/v1"
    )
    assert (
        make_settings(AiSettings, waddleai_base_url="http://p:8000/v1/").waddleai_v1_url()
        == "http://p:8000/v1"
    )
    tls = make_settings(AiSettings, ollama_host="gpu.lan", ollama_port=443, ollama_use_tls=True)
    assert tls.ollama_base_url() == "https://gpu.lan:443"
    assert make_settings(AiSettings, ai_key_cache_ttl=300).ai_key_cache_ttl == 30.0


def _certificates(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed CA (its PEM file) and a server context for localhost signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "WaddleBot test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    return ca_path, server


async def test_tls_to_ollama_works_with_the_custom_ca_and_fails_without_it(
    make_settings: Any, tmp_path: Path
) -> None:
    ca_path, server_context = _certificates(tmp_path)
    fakes = sys.modules["waddlebot_ai_test_fakes"]
    async with fakes.FakeOllama(ssl_context=server_context).serving() as ollama:
        port = int(ollama.url.rsplit(":", 1)[1])
        tls = {"ollama_host": "localhost", "ollama_port": port, "ollama_use_tls": True}
        for cert_path, expected in ((ca_path, "Answer 1: secure?"), (None, None)):
            settings = make_settings(AiSettings, ollama_cert_path=cert_path, **tls)
            app = create_app(settings)
            async with started(app, settings=settings) as res:
                eng = service.engine(res)
                found = await eng.answer(CommunityAi(1), "twitch", "c1", "secure?")
                if expected is None:
                    assert not found.ok and found.reason == "tls", found
                    assert found.text == settings.ai_fallback_text
                else:
                    assert found.ok and found.text == expected
        assert len(ollama.chat_calls()) == 1  # the unverified attempt never got a request through
        # OLLAMA_VERIFY_SSL=false talks to it without checking (the operator's explicit choice)
        settings = make_settings(AiSettings, ollama_verify_ssl=False, **tls)
        app = create_app(settings)
        async with started(app, settings=settings) as res:
            assert (await service.engine(res).answer(CommunityAi(1), "twitch", "c1", "x")).ok


async def test_concurrency_is_bounded_per_community_and_per_process_and_the_queue_is_bounded(
    ai_settings: Callable[..., AiSettings], fake_ollama: Any
) -> None:
    settings = ai_settings(
        ai_community_concurrency=2, ai_max_concurrency=3, ai_max_queue=4, ai_memory_turns=0
    )
    app = create_app(settings)
    async with started(app, settings=settings) as res:
        eng = service.engine(res)
        fake_ollama.stall = 1.0
        one, two = CommunityAi(1), CommunityAi(2)
        tasks = [asyncio.create_task(eng.answer(one, "twitch", "c", f"a{i}")) for i in range(4)]
        await wait_until(lambda: fake_ollama.in_flight == 2 and eng.waiting == 2)
        tasks += [asyncio.create_task(eng.answer(two, "twitch", "c", f"b{i}")) for i in range(2)]
        await wait_until(lambda: fake_ollama.in_flight == 3 and eng.waiting == 3)  # the process's bound
        extra = [asyncio.create_task(eng.answer(two, "twitch", "c", "x"))]
        await wait_until(lambda: eng.waiting == 4)  # AI_MAX_QUEUE: the next question is refused at once
        assert fake_ollama.in_flight == 3
        with pytest.raises(ProviderError, match="busy"):
            await eng.ask(two, [{"role": "user", "content": "too many"}])
        results = await asyncio.gather(*tasks, *extra)
        assert all(r.ok for r in results)
        assert fake_ollama.most_in_flight == 3
        assert eng.waiting == 0 and eng._communities == {}
