"""Nothing in lstm_course.data touches the network."""

from __future__ import annotations

import socket

import pytest

import lstm_course.data as data


def test_every_loader_works_with_the_network_switched_off(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("lstm_course.data tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    data.files.path.cache_clear()
    data.load_sunspots(), data.load_co2(), data.load_seattle_weather(), data.load_surnames()
    data.python_docs_text(), data.human_dates(10)
    with pytest.raises(AssertionError, match="network"):
        socket.socket()
