package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Where phones reach this server. Without PUBLIC_URL, the links the server
// hands out (the join link, the QR code, the wall's link) are made from the
// address the browser used, unless that is this machine's loopback, which
// no phone can reach: then from the machine's address on its local
// network, on the same port.

// lanRefresh is how long a reading of the machine's interfaces is used:
// a laptop may join a Wi-Fi network after the server started.
const lanRefresh = 10 * time.Second

// ifaceAddrs is one network interface as the choice of a LAN address sees
// it: its name, its flags and its unicast addresses.
type ifaceAddrs struct {
	name  string
	flags net.Flags
	addrs []netip.Addr
}

// virtualPrefixes begin the names of interfaces that belong to containers,
// virtual machines and VPNs, which phones on the room's Wi-Fi cannot reach.
var virtualPrefixes = []string{
	"docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "tun", "tap", "wg", "utun",
	"tailscale", "zt", "lxc", "lxd", "cni", "flannel", "cali", "podman", "vethernet",
	"ppp", "ipsec", "awdl", "llw", "anpi", "gif", "stf",
}

// isVirtual says whether an interface's name looks like a virtual one.
func isVirtual(name string) bool {
	name = strings.ToLower(name)
	for _, p := range virtualPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// lanAddress chooses the address by which phones on the same network are
// most likely to reach this machine: among interfaces that are up and not
// loopback, a private IPv4 address (RFC 1918), then another global IPv4
// address, then an IPv6 unique-local or global one; an interface that
// looks physical before any virtual one; and among equals, the first
// listed. Loopback, link-local, multicast and unspecified addresses never
// qualify.
func lanAddress(ifaces []ifaceAddrs) (netip.Addr, bool) {
	var best netip.Addr
	bestRank := 0
	for _, ifc := range ifaces {
		if ifc.flags&net.FlagUp == 0 || ifc.flags&net.FlagLoopback != 0 {
			continue
		}
		virtual := isVirtual(ifc.name)
		for _, a := range ifc.addrs {
			a = a.Unmap()
			if r := addrRank(a, virtual); r > bestRank {
				best, bestRank = a, r
			}
		}
	}
	return best, bestRank > 0
}

// addrRank orders candidate addresses, higher first; 0 is unusable.
func addrRank(a netip.Addr, virtual bool) int {
	if !a.IsValid() || !a.IsGlobalUnicast() || a.Zone() != "" {
		return 0 // loopback, link-local, multicast, unspecified, broadcast
	}
	r := 1 // IPv6, unique-local or global
	switch {
	case a.Is4() && a.IsPrivate():
		r = 3
	case a.Is4():
		r = 2
	}
	if !virtual {
		r += 3
	}
	return r
}

// machineInterfaces reads this machine's interfaces and their addresses.
func machineInterfaces() ([]ifaceAddrs, error) {
	list, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	out := make([]ifaceAddrs, 0, len(list))
	for _, ifc := range list {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		ia := ifaceAddrs{name: ifc.Name, flags: ifc.Flags}
		for _, a := range addrs {
			var ip net.IP
			switch a := a.(type) {
			case *net.IPNet:
				ip = a.IP
			case *net.IPAddr:
				ip = a.IP
			}
			if addr, ok := netip.AddrFromSlice(ip); ok {
				ia.addrs = append(ia.addrs, addr.Unmap())
			}
		}
		out = append(out, ia)
	}
	return out, nil
}

// lanFinder answers lanAddress for this machine, reading its interfaces
// at most every lanRefresh.
type lanFinder struct {
	list func() ([]ifaceAddrs, error) // set at construction

	mu   sync.Mutex // guards at, addr and ok
	at   time.Time
	addr netip.Addr
	ok   bool
}

func newLANFinder(list func() ([]ifaceAddrs, error)) *lanFinder {
	if list == nil {
		list = machineInterfaces
	}
	return &lanFinder{list: list}
}

func (f *lanFinder) find() (netip.Addr, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.at) < lanRefresh && !f.at.IsZero() {
		return f.addr, f.ok
	}
	f.addr, f.ok = netip.Addr{}, false
	if ifaces, err := f.list(); err == nil {
		f.addr, f.ok = lanAddress(ifaces)
	}
	f.at = time.Now()
	return f.addr, f.ok
}

// isLoopbackHost says whether a Host header names this machine only:
// localhost, a loopback address, or no address at all.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && (a.IsLoopback() || a.IsUnspecified())
}

// localPort is the port the request came in on: the server's listening
// port, or else the Host header's.
func localPort(r *http.Request) uint16 {
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			return ap.Port()
		}
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err == nil {
			return uint16(n)
		}
	}
	return 80
}

// requestScheme is the scheme the browser used, as far as the server can
// tell: X-Forwarded-Proto is the client's to write unless a proxy in
// front sets it, so it counts only behind TRUST_PROXY.
func (a *api) requestScheme(r *http.Request) string {
	if r.TLS != nil || (a.cfg.trustProxy && r.Header.Get("X-Forwarded-Proto") == "https") {
		return "https"
	}
	return "http"
}

// validHost says whether a Host header is a plain host name or address,
// with or without a port: what a browser that reached this server sends.
func validHost(host string) bool {
	name := host
	if h, p, err := net.SplitHostPort(host); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return false
		}
		name = h
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// base is the origin from which the links of r's answer are made, and
// whether it is this machine's loopback, which phones cannot reach. With a
// public URL it is always that, whatever Host the request claims. Without
// one it depends on the request's Host (and X-Forwarded-Proto behind a
// proxy), and base says so in w's Vary, keeping shared caches from
// handing one client's links to another.
func (a *api) base(w http.ResponseWriter, r *http.Request) (origin string, loopback bool) {
	if a.cfg.publicURL != "" {
		return a.cfg.publicURL, false
	}
	w.Header().Add("Vary", "Host")
	if a.cfg.trustProxy {
		w.Header().Add("Vary", "X-Forwarded-Proto")
	}
	if validHost(r.Host) && !isLoopbackHost(r.Host) {
		return a.requestScheme(r) + "://" + r.Host, false
	}
	port := localPort(r)
	if ip, ok := a.lan.find(); ok {
		return "http://" + netip.AddrPortFrom(ip, port).String(), false
	}
	host := r.Host
	if !validHost(host) {
		host = "localhost:" + strconv.Itoa(int(port))
	}
	return a.requestScheme(r) + "://" + host, true
}

// printWhere tells, as the server starts, where to open it: on this
// computer, and from phones on the same network. listen is the address it
// listens on; ifaces are the machine's interfaces.
func printWhere(w io.Writer, listen net.Addr, publicURL string, ifaces []ifaceAddrs) {
	ap, err := netip.ParseAddrPort(listen.String())
	if err != nil {
		return
	}
	ip, port := ap.Addr().Unmap(), ap.Port()
	local := fmt.Sprintf("http://localhost:%d/", port)
	if !ip.IsUnspecified() && !ip.IsLoopback() {
		local = "http://" + netip.AddrPortFrom(ip, port).String() + "/"
	}
	fmt.Fprintf(w, "  Local:   %s\n", local)
	switch {
	case ip.IsLoopback():
		fmt.Fprintf(w, "  Network: none: the server listens on this computer only; start it with -addr :%d for phones to join\n", port)
	case !ip.IsUnspecified():
		fmt.Fprintf(w, "  Network: %s\n", local)
	default:
		if lan, ok := lanAddress(ifaces); ok {
			fmt.Fprintf(w, "  Network: http://%s/\n", netip.AddrPortFrom(lan, port))
		} else {
			fmt.Fprintln(w, "  Network: no network address found; phones cannot join until this computer is on a network (Wi-Fi or cable)")
		}
	}
	if publicURL != "" {
		fmt.Fprintf(w, "  Public:  %s/ (join links and QR codes use this)\n", publicURL)
	}
}
