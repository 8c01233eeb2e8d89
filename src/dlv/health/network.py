"""Where a connection test may go: the DLV_CHECK_ALLOW and DLV_CHECK_DENY lists.

An admin's connection test makes DLV open a TCP connection to any host and port it is given,
from inside the network DLV runs in. Cloud metadata endpoints answer there with the
instance's credentials, so they (and link-local addresses generally) are denied by default;
an operator can deny more, or allow only listed networks. A check resolves the host, checks
every address, and then connects only to an address it checked (so a second DNS answer cannot
swap it: see ``resolve`` and ``open_port`` in ``base``).

Each list is comma-separated; an entry is an address, a CIDR network, a host name, or
``*.example.com`` (any name under example.com). In DLV_CHECK_DENY the word ``default`` stands
for ``DEFAULT_DENY``. An IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) is judged as the IPv4
address it maps.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_DENY = (
    "169.254.0.0/16",  # IPv4 link-local: AWS, GCP, Azure, OpenStack... at 169.254.169.254
    "fe80::/10",  # IPv6 link-local
    "fd00:ec2::254",  # AWS instance metadata over IPv6
    "fd00:ec2::23",  # AWS EKS Pod Identity agent over IPv6
    "100.100.100.200",  # Alibaba Cloud metadata
    "168.63.129.16",  # Azure WireServer
    "192.0.0.192",  # Oracle Cloud metadata (legacy address)
)
DEFAULT_KEYWORD = "default"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_NONE = "no connection was attempted"


def _normalize_host(host: str) -> str:
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return bare.lower().rstrip(".")


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class Rules:
    """One list: networks, exact host names and ``*.`` name suffixes."""

    networks: tuple[tuple[IPNetwork, str], ...] = ()
    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    defaults: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, setting: str, text: str, *, allow_default: bool) -> Rules:
        """The rules of a comma-separated list; ValueError naming the bad entry."""
        networks: list[tuple[IPNetwork, str]] = []
        names: set[str] = set()
        suffixes: list[str] = []
        defaults: set[str] = set()
        entries = [e.strip() for e in text.split(",") if e.strip()]
        for entry in entries:
            if entry.lower() == DEFAULT_KEYWORD and allow_default:
                networks.extend((ipaddress.ip_network(d), d) for d in DEFAULT_DENY)
                defaults.update(DEFAULT_DENY)
                continue
            try:
                networks.append((ipaddress.ip_network(_normalize_host(entry), strict=False), entry))
                continue
            except ValueError:
                pass
            name = _normalize_host(entry)
            wildcard = name.startswith("*.")
            label = name[2:] if wildcard else name
            if not label or not set(label) <= _HOST_CHARS or label.startswith("."):
                msg = (
                    f"{setting}: {entry!r} is not an IP address, a CIDR network, a host name "
                    "or *.domain"
                )
                raise ValueError(msg)
            if wildcard:
                suffixes.append("." + label)
            else:
                names.add(label)
        return cls(tuple(networks), frozenset(names), tuple(suffixes), frozenset(defaults))

    def __bool__(self) -> bool:
        return bool(self.networks or self.names or self.suffixes)

    def name_entry(self, host: str) -> str | None:
        """The entry naming ``host`` (exactly or by suffix), if any."""
        name = _normalize_host(host)
        if name in self.names:
            return name
        return next((f"*{s}" for s in self.suffixes if name.endswith(s)), None)

    def address_entry(self, address: IPAddress) -> str | None:
        """The entry whose network holds ``address``, if any."""
        return next((entry for net, entry in self.networks if address in net), None)


@dataclass(frozen=True)
class NetworkPolicy:
    """DLV_CHECK_ALLOW (empty: everything not denied) and DLV_CHECK_DENY (wins over allow)."""

    allow: Rules
    deny: Rules

    @classmethod
    def parse(cls, allow: str, deny: str) -> NetworkPolicy:
        """The policy of the two settings; ValueError naming a bad entry."""
        return cls(
            allow=Rules.parse("DLV_CHECK_ALLOW", allow, allow_default=False),
            deny=Rules.parse("DLV_CHECK_DENY", deny, allow_default=True),
        )

    def refuse_name(self, host: str) -> str | None:
        """Why ``host`` may not be reached by its name alone (before resolving), or None."""
        entry = self.deny.name_entry(host)
        if entry is not None:
            return f"Destination not allowed: {host} is denied by DLV_CHECK_DENY ({entry}); {_NONE}"
        return None

    def refuse(self, host: str, addresses: Sequence[str]) -> str | None:
        """Why ``host``, resolved to ``addresses``, may not be reached, or None.

        Every address must pass: a name that resolves to one denied address among allowed
        ones is refused whole, since DLV might otherwise connect to that one.
        """
        allowed_by_name = bool(self.allow) and self.allow.name_entry(host) is not None
        for text in addresses:
            address = _address(text)
            where = host if _normalize_host(host) == text else f"{host} ({text})"
            if address is None:
                return f"Destination not allowed: {where} is not an IP address DLV can judge"
            entry = self.deny.address_entry(address)
            if entry is not None:
                why = (
                    " (link-local or cloud metadata, denied by default)"
                    if entry in self.deny.defaults
                    else ""
                )
                return (
                    f"Destination not allowed: {where} is denied by DLV_CHECK_DENY "
                    f"({entry}){why}; {_NONE}"
                )
            if self.allow and not allowed_by_name and self.allow.address_entry(address) is None:
                return f"Destination not allowed: {where} is not in DLV_CHECK_ALLOW; {_NONE}"
        return None


def default_policy() -> NetworkPolicy:
    """The policy with both settings at their defaults."""
    return NetworkPolicy.parse("", DEFAULT_KEYWORD)
