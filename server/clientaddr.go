package main

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// defaultTrustedProxies are the networks whose X-Forwarded-For entries a
// server behind TRUST_PROXY passes over: loopback and private ranges,
// where a chain of proxies in front of it (a load balancer, an ingress)
// usually lives.
const defaultTrustedProxies = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"

// ipv6Limit is the prefix length under which IPv6 clients share a limit:
// one network (a home, a phone) is given a /64, and holds 2^64 addresses.
const ipv6Limit = 64

// parsePrefixes reads a comma-separated list of networks (10.0.0.0/8) or
// single addresses; "none" is the empty list.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	if strings.TrimSpace(list) == "none" {
		return nil, nil
	}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q: want a network such as 10.0.0.0/8, an address, or none", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// clientAddr names a request's client, for per-address limits: its
// remote address or, behind a trusted proxy, the address the proxies saw;
// for IPv6, the client's /64 network.
func (c config) clientAddr(r *http.Request) string {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if c.trustProxy {
		if fwd := c.forwardedFor(r.Header.Values("X-Forwarded-For")); fwd != "" {
			addr = fwd
		}
	}
	return limitKey(addr)
}

// forwardedFor is the client's address in X-Forwarded-For: the right-most
// entry that is not a trusted proxy's. The right-most entry of all is the
// one the nearest proxy wrote, so it is taken even when it is in a
// trusted network (a client on the proxy's own network); anything to its
// left is the client's to write, and is read only past trusted proxies.
func (c config) forwardedFor(headers []string) string {
	var hops []string
	for _, h := range headers {
		for _, s := range strings.Split(h, ",") {
			if s = strings.TrimSpace(s); s != "" {
				hops = append(hops, s)
			}
		}
	}
	i := len(hops) - 1
	for i > 0 && c.trusted(hops[i]) {
		i--
	}
	if i < 0 {
		return ""
	}
	return hops[i]
}

// trusted says whether an X-Forwarded-For entry is a trusted proxy's.
func (c config) trusted(hop string) bool {
	a, ok := parseHop(hop)
	if !ok {
		return false
	}
	for _, p := range c.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads an address as proxies write it: bare, or with a port.
func parseHop(hop string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(hop); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// limitKey is the key of an address in the per-address limits: an IPv4
// address as it is, an IPv6 one as its /64, anything else as written.
func limitKey(addr string) string {
	a, ok := parseHop(addr)
	if !ok {
		return addr
	}
	if a.Is6() {
		return netip.PrefixFrom(a.WithZone(""), ipv6Limit).Masked().String()
	}
	return a.String()
}
