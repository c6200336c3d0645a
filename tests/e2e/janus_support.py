"""Talking to the test's Janus directly, as the browser tests of the media server do:
its HTTP API (sessions, joins), its admin API (rooms, publishers), and page scripts that
ask Encore for credentials or publish into a VideoRoom with them.
"""

from __future__ import annotations

import json
import secrets
import urllib.request

from tests.support.janus_server import JanusServer

CREDENTIALS = """
async (path) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const r = await fetch(path, {method: "POST", headers: {"X-CSRFToken": token}});
  return r.ok ? await r.json() : {status: r.status};
}
"""


def janus_post(url: str, body: dict) -> dict:
    """POST one request to Janus's HTTP API and return its JSON answer."""
    body = dict(body, transaction=secrets.token_hex(6))
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def janus_events(janus: JanusServer, session: int, token: str) -> list[dict]:
    """Long-poll the session's events once (the VideoRoom answers joins asynchronously)."""
    url = f"{janus.url}/{session}?maxev=5&token={token}"
    with urllib.request.urlopen(url, timeout=40) as response:
        answer = json.load(response)
    return answer if isinstance(answer, list) else [answer]


def room_exists(janus: JanusServer, room: int) -> bool:
    """Ask Janus (admin API) whether the VideoRoom is there."""
    answer = janus_post(
        janus.admin_url,
        {
            "janus": "message_plugin",
            "plugin": "janus.plugin.videoroom",
            "admin_secret": janus.admin_secret,
            "request": {"request": "exists", "room": room, "admin_key": janus.room_admin_key},
        },
    )
    return bool(answer["response"].get("exists"))


def join_as(janus: JanusServer, token: str, room: int, pin: str | None) -> dict:
    """Open a session with `token`, attach the VideoRoom and join `room`; return the answer."""
    created = janus_post(janus.url, {"janus": "create", "token": token})
    if created["janus"] != "success":
        return created
    session = created["data"]["id"]
    attached = janus_post(
        f"{janus.url}/{session}",
        {"janus": "attach", "plugin": "janus.plugin.videoroom", "token": token},
    )
    handle = attached["data"]["id"]
    body = {"request": "join", "ptype": "publisher", "room": room}
    if pin is not None:
        body["pin"] = pin
    janus_post(
        f"{janus.url}/{session}/{handle}", {"janus": "message", "body": body, "token": token}
    )
    for event in janus_events(janus, session, token):
        data = event.get("plugindata", {}).get("data")
        if data:
            return data
    return {}


def publishers(janus: JanusServer, room: int) -> set[int]:
    """The feed ids publishing in the VideoRoom now (admin API)."""
    answer = janus_post(
        janus.admin_url,
        {
            "janus": "message_plugin",
            "plugin": "janus.plugin.videoroom",
            "admin_secret": janus.admin_secret,
            "request": {"request": "listparticipants", "room": room},
        },
    )
    return {p["id"] for p in answer["response"].get("participants", []) if p.get("publisher")}


# A member who is not on air, with their own valid credentials, opens a second Janus
# session from their page and publishes their camera into the show's VideoRoom.
INTRUDE = """
async (path) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const creds = await (await fetch(path, {method: "POST", headers: {"X-CSRFToken": token}})).json();
  const camera = await navigator.mediaDevices.getUserMedia({audio: false, video: true});
  const state = window.__intruder = {events: [], creds: creds, published: false};
  return await new Promise((resolve) => {
    const janus = new window.Janus({server: creds.server, token: creds.token,
      error: (e) => resolve({error: String(e)}),
      success: () => janus.attach({plugin: "janus.plugin.videoroom",
        error: (e) => resolve({error: String(e)}),
        success: (handle) => {
          state.handle = handle;
          handle.send({message: {request: "join", ptype: "publisher", room: creds.room,
                                 pin: creds.pin}});
        },
        onmessage: (message, jsep) => {
          state.events.push(message);
          if (message.error) resolve({error: message.error});
          if (message.videoroom === "joined") {
            state.id = message.id;
            state.handle.createOffer({
              tracks: [{type: "video", capture: camera.getVideoTracks()[0], recv: false}],
              success: (offer) => state.handle.send(
                {message: {request: "publish", audio: false, video: true}, jsep: offer}),
              error: (e) => resolve({error: String(e)}),
            });
          }
          if (jsep) {
            state.handle.handleRemoteJsep({jsep: jsep});
            state.published = true;
            resolve({id: state.id, creds: creds});
          }
        },
      }),
    });
  });
}
"""
KICKED = (
    "() => (window.__intruder.events || [])"
    ".some((m) => m.leaving === 'ok' && m.reason === 'kicked')"
)
