"""Bench users: made in bulk with a cheap password hash, and logged in through the real form
by an aiohttp session that keeps the page's CSRF token (the HTTP side of every scenario)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from bench.harness import BENCH_PASSWORD, CSRF_META


def cheap_password_hash() -> str:
    """Return a hash of BENCH_PASSWORD that is quick to check, so logins cost little CPU.

    Bench users are made in bulk; the real signup path is timed separately by the pages
    scenario. The hash format is one werkzeug checks like any other.
    """
    from werkzeug.security import generate_password_hash

    return generate_password_hash(BENCH_PASSWORD, method="pbkdf2:sha256:1")


def bulk_users(conn, count: int, tag: str) -> list[tuple[int, str]]:
    """Insert `count` users named `<tag>_<n>` with the cheap password; return (id, username)."""
    password = cheap_password_hash()
    rows = [(f"{tag}_{n}", f"Bench {tag} {n}") for n in range(count)]
    with conn.cursor() as cur:
        from psycopg2.extras import execute_values

        result = execute_values(
            cur,
            "INSERT INTO users (username, username_key, display_name, password_hash, bio,"
            " timezone, session_token, created_at) VALUES %s RETURNING id, username",
            [
                (u, u.lower(), d, password, "", "Asia/Seoul", uuid.uuid4().hex, datetime.now(UTC))
                for u, d in rows
            ],
            page_size=1000,
            fetch=True,
        )
    return [(row[0], row[1]) for row in result]


class HttpUser:
    """An aiohttp session that logs in through the real form and posts with CSRF."""

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        connections: int = 4,
        local_addr: str | None = None,
    ) -> None:
        import aiohttp

        self.base_url = base_url
        self.username = username
        # A loopback source address of its own lets nginx's ip_hash place this user.
        bind = {"local_addr": (local_addr, 0)} if local_addr else {}
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(limit=connections, **bind),
        )
        self.token: str | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.session.close()

    async def fetch_token(self, path: str = "/") -> str:
        """Fetch a page and keep its CSRF token."""
        async with self.session.get(self.base_url + path) as response:
            html = await response.text()
        match = CSRF_META.search(html)
        if not match:
            raise RuntimeError(f"no CSRF token on {path} ({response.status})")
        self.token = match.group(1)
        return self.token

    async def login(self, username: str, password: str = BENCH_PASSWORD) -> None:
        """Log in through /auth/login, then pick up the new session's CSRF token."""
        self.username = username
        await self.fetch_token("/auth/login")
        data = {"username": username, "password": password, "csrf_token": self.token}
        async with self.session.post(
            self.base_url + "/auth/login", data=data, allow_redirects=False
        ) as response:
            if response.status != 303:
                raise RuntimeError(f"login of {username} answered {response.status}")
        await self.fetch_token("/")

    async def post(self, path: str, data: dict, *, htmx: bool = True) -> tuple[int, str, dict]:
        """POST a form the way the page does (htmx header by default); return status, body."""
        headers = {"X-CSRFToken": self.token} if self.token else {}
        if htmx:
            headers["HX-Request"] = "true"
        elif self.token:
            data = {**data, "csrf_token": self.token}
        async with self.session.post(
            self.base_url + path, data=data, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await response.text(), dict(response.headers)

    def cookie_header(self) -> str:
        """Return the Cookie header a socket client needs to share this session."""
        return "; ".join(f"{c.key}={c.value}" for c in self.session.cookie_jar)


async def login_all(
    base_urls: list[str],
    users: list[tuple[int, str]],
    concurrency: int = 16,
    addresses: list[str] | None = None,
):
    """Log every user in (round-robin over `base_urls`, each from `addresses[i]` when
    given); return their HttpUser sessions."""
    semaphore = asyncio.Semaphore(concurrency)
    sessions: list[HttpUser] = [
        HttpUser(
            base_urls[i % len(base_urls)], name, local_addr=addresses[i] if addresses else None
        )
        for i, (_, name) in enumerate(users)
    ]

    async def one(http: HttpUser) -> None:
        async with semaphore:
            await http.login(http.username)

    await asyncio.gather(*(one(h) for h in sessions))
    return sessions


async def route_exists(base_url: str, path: str, cookie: str | None = None) -> bool:
    """Tell whether GET `path` answers anything but 404 (405 means the path exists)."""
    import aiohttp

    headers = {"Cookie": cookie} if cookie else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(base_url + path, headers=headers, allow_redirects=False) as response,
    ):
        return response.status != 404
