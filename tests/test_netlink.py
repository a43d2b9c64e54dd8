"""Which routing messages mean "the network changed", from bytes laid out as the kernel sends them."""

from __future__ import annotations

import struct

from traywatch import netlink

UP = netlink.IFF_UP | netlink.IFF_RUNNING | netlink.IFF_LOWER_UP


def message(kind: int, body: bytes) -> bytes:
    padded = body + b"\0" * (-len(body) % 4)
    return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + padded


def link(index: int, flags: int, kind: int = netlink.RTM_NEWLINK) -> bytes:
    return message(kind, struct.pack("=BxHiII", 0, 1, index, flags, 0) + b"\x08\x00\x03\x00wl0\0")


def route(dst_len: int, table: int = netlink.RT_TABLE_MAIN, kind: int = netlink.RTM_NEWROUTE) -> bytes:
    return message(kind, struct.pack("=BBBBBBBBI", 2, dst_len, 0, 0, table, 3, 0, 1, 0))


def test_a_link_message_that_changes_no_state_is_no_change() -> None:
    changed, links = netlink.network_changes(link(3, UP | 0x1000), {3: UP})  # a Wi-Fi scan, say
    assert not changed and links == {3: UP}


def test_a_link_going_down_coming_up_or_going_away_is_a_change() -> None:
    changed, links = netlink.network_changes(link(3, netlink.IFF_UP), {3: UP})
    assert changed and links == {3: netlink.IFF_UP}
    assert netlink.network_changes(link(4, UP), {3: UP}) == (True, {3: UP, 4: UP})
    assert netlink.network_changes(link(3, UP, netlink.RTM_DELLINK), {3: UP}) == (True, {})


def test_addresses_and_default_routes_are_changes_other_routes_are_not() -> None:
    assert netlink.network_changes(message(netlink.RTM_NEWADDR, b"\x02\x18\x00\x00\x03\x00\x00\x00"), {})[0]
    assert netlink.network_changes(route(0), {})[0]
    assert netlink.network_changes(route(0, kind=netlink.RTM_DELROUTE), {})[0]
    assert not netlink.network_changes(route(24), {})[0]
    assert not netlink.network_changes(route(0, table=255), {})[0]  # the local table


def test_several_messages_in_one_read_are_all_seen() -> None:
    data = link(3, UP) + route(24) + route(0)
    assert netlink.network_changes(data, {3: UP}) == (True, {3: UP})


def test_truncated_or_malformed_data_is_read_as_far_as_it_goes() -> None:
    whole = link(3, netlink.IFF_UP)
    assert netlink.network_changes(whole[:20], {3: UP}) == (False, {3: UP})
    assert netlink.network_changes(struct.pack("=IHHII", 4, 16, 0, 0, 0), {}) == (False, {})
    assert netlink.network_changes(b"", {}) == (False, {})


def test_the_link_dump_request_ends_with_done() -> None:
    request = netlink.link_dump_request(7)
    length, kind, flags, sequence, _ = struct.unpack_from("=IHHII", request)
    assert (length, kind, sequence) == (len(request), netlink.RTM_GETLINK, 7)
    assert flags & netlink.NLM_F_DUMP
    assert netlink.dump_finished(link(3, UP) + message(netlink.NLMSG_DONE, b"\0\0\0\0"))
    assert not netlink.dump_finished(link(3, UP))
