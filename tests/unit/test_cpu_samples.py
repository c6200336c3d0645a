"""How bench/cpu_samples.py reads py-spy's samples: each stack lands in one phase, in the
process or in a system call, and the step's CPU a post is shared out by sample counts."""

from __future__ import annotations

from bench.cpu_samples import parse_raw, phase, split, system_call, table

LIB = "/usr/lib/x86_64-linux-gnu"
SITE = "/srv/.venv/lib/python3.11/site-packages"
POST = f"WSGIHandler.handle ({SITE}/gevent/pywsgi.py:578);Flask.wsgi_app ({SITE}/flask/app.py:1511)"
# Shortened stacks as py-spy writes them: outermost frame first, the count last.
RAW = "\n".join(
    [
        # A post under gevent, in Python, then in the send() of its database statement.
        f"{POST};post_room_message (/srv/app/services/chat/post.py:185) 30",
        f"{POST};execute (/srv/app/first_write.py:68);send ({LIB}/libc.so.6) 10",
        # A delivery: Engine.IO's writer under eventlet, ending in send().
        f"GreenThread.main ({SITE}/eventlet/greenthread.py:272);"
        f"Socket._websocket_handler.<locals>.writer ({SITE}/engineio/socket.py:214);"
        f"send ({LIB}/libc.so.6) 20",
        # The event loop waiting, and malloc, which is libc but no system call.
        f"Hub.run ({SITE}/gevent/hub.py:647);epoll_wait ({LIB}/libc.so.6) 25",
        f"Hub.run ({SITE}/gevent/hub.py:647);malloc ({LIB}/libc.so.6) 5",
        # The queue listener, and a stack py-spy could not name.
        f"PubSubManager._thread ({SITE}/socketio/pubsub_manager.py:231) 8",
        "0x7f86752c3875 (?) 2",
        "",
    ]
)


def test_raw_samples_are_read_line_by_line():
    stacks = parse_raw(RAW)
    assert len(stacks) == 7
    assert sum(count for _, count in stacks) == 100
    assert stacks[0][0][-1].startswith("post_room_message")


def test_each_stack_has_one_phase_and_a_system_call_only_in_the_kernel():
    stacks = parse_raw(RAW)
    assert [phase(frames) for frames, _ in stacks] == [
        "HTTP requests (Flask)",
        "HTTP requests (Flask)",
        "sockets (Engine.IO)",
        "event loop",
        "event loop",
        "queue listener",
        "other",
    ]
    assert [system_call(frames[-1]) for frames, _ in stacks] == [
        None,
        "send",
        "send",
        "epoll_wait",
        None,
        None,
        None,
    ]


def test_the_cpu_a_post_is_shared_out_by_samples():
    result = split(parse_raw(RAW), 2.0)
    assert result["samples"] == 100
    assert result["phases"] == {
        "HTTP requests (Flask), process": 0.6,
        "event loop, system calls": 0.5,
        "sockets (Engine.IO), system calls": 0.4,
        "HTTP requests (Flask), system calls": 0.2,
        "queue listener, process": 0.16,
        "event loop, process": 0.1,
        "other, process": 0.04,
    }
    assert sum(result["phases"].values()) == 2.0
    assert result["system_calls"] == {"send": 0.6, "epoll_wait": 0.5}


def test_the_table_puts_targets_side_by_side_with_their_ratio():
    bare = split(parse_raw(RAW), 1.0)
    encore = split(parse_raw(RAW), 3.0)
    lines = table({"bare": bare, "encore": encore})
    assert lines[0] == "ms a post: bare | encore | ratio"
    assert "HTTP requests (Flask), process: 0.300 | 0.900 | 3.00 ×" in lines
    assert "send: 0.300 | 0.900 | 3.00 ×" in lines
    assert lines[-1] == "all: 1.00 | 3.00"
