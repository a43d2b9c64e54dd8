"""Which of the Linux kernel's routing messages (rtnetlink) mean "the network changed".

Pure parsing, no socket: a link going up or down (by its flags, not by the messages themselves,
since Wi-Fi scans and carrier changes both arrive as link messages with nothing marked as
changed), an IPv4 address coming or going, a default route coming or going. Router
advertisements refresh IPv6 addresses all the time, so IPv6 counts only through its default
routes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_ROUTE = 0x400
GROUPS = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE

RTM_NEWLINK, RTM_DELLINK = 16, 17
RTM_NEWADDR, RTM_DELADDR = 20, 21
RTM_NEWROUTE, RTM_DELROUTE = 24, 25
RT_TABLE_MAIN = 254

IFF_UP = 0x1
IFF_RUNNING = 0x40
IFF_LOWER_UP = 0x10000
_LINK_STATE = IFF_UP | IFF_RUNNING | IFF_LOWER_UP

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port
_IFINFO = struct.Struct("=BxHiII")  # ifinfomsg: family, type, index, flags, change
_RTMSG = struct.Struct("=BBBBBBBBI")  # rtmsg: family, dst_len, src_len, tos, table, ...


def network_changes(data: bytes, links: Mapping[int, int]) -> tuple[bool, dict[int, int]]:
    """Whether ``data`` (one read from the socket) changes the network, and the link states after
    it. ``links`` maps interface index to its up/running flags as last seen."""
    states = dict(links)
    changed = False
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, kind, _flags, _seq, _port = _HEADER.unpack_from(data, offset)
        if length < _HEADER.size or offset + length > len(data):
            break  # truncated or malformed: nothing more can be read from this datagram
        body = offset + _HEADER.size
        if kind in (RTM_NEWLINK, RTM_DELLINK) and length >= _HEADER.size + _IFINFO.size:
            _family, _type, index, flags, _change = _IFINFO.unpack_from(data, body)
            state = flags & _LINK_STATE if kind == RTM_NEWLINK else None
            if states.get(index) != state:
                changed = True
            if state is None:
                states.pop(index, None)
            else:
                states[index] = state
        elif kind in (RTM_NEWADDR, RTM_DELADDR):
            changed = True
        elif kind in (RTM_NEWROUTE, RTM_DELROUTE) and length >= _HEADER.size + _RTMSG.size:
            _family, dst_len, _src_len, _tos, table, *_ = _RTMSG.unpack_from(data, body)
            if dst_len == 0 and table == RT_TABLE_MAIN:
                changed = True
        offset += (length + 3) & ~3  # messages are aligned to 4 bytes
    return changed, states


NLMSG_DONE = 3
NLMSG_ERROR = 2
RTM_GETLINK = 18
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300


def link_dump_request(sequence: int = 1) -> bytes:
    """Asks the kernel for every link (its answers are RTM_NEWLINK messages, then NLMSG_DONE)."""
    body = _IFINFO.pack(0, 0, 0, 0, 0)
    return _HEADER.pack(_HEADER.size + len(body), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, sequence, 0) + body


def dump_finished(data: bytes) -> bool:
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, kind, *_ = _HEADER.unpack_from(data, offset)
        if kind in (NLMSG_DONE, NLMSG_ERROR):
            return True
        if length < _HEADER.size:
            return True
        offset += (length + 3) & ~3
    return False
