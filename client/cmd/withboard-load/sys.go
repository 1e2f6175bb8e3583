package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// raiseFileLimit lifts the soft limit on open files to the hard one: each
// simulated phone is a socket.
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	return l.Cur
}

// sourceAddr is the loopback address connection i is made from: the
// server limits joins per client address, so phones are spread over
// 127.0.0.1, 127.0.0.2, ... with perSource connections each, the way a
// real crowd arrives from many networks.
func sourceAddr(i, perSource int) *net.TCPAddr {
	n := i/perSource + 1
	return &net.TCPAddr{IP: net.IPv4(127, byte(n>>16), byte(n>>8), byte(n))}
}

// procUsage is how much memory and CPU a process used over a window.
type procUsage struct {
	pid        int
	rss, hwm   uint64 // bytes
	cpu        time.Duration
	wall       time.Duration
	ok         bool
	label      string
	cpuAtStart time.Duration
}

// procCPU returns a process's user+system CPU time so far.
func procCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, true
}

// procMem returns a process's resident memory now and at its peak.
func procMem(pid int) (rss, hwm uint64, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseUint(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm, rss > 0
}

// watch starts measuring the processes: the servers given by -pid, and
// this load generator itself.
func watch(pids []int) []procUsage {
	out := make([]procUsage, 0, len(pids)+1)
	for _, pid := range pids {
		out = append(out, procUsage{pid: pid, label: "server"})
	}
	out = append(out, procUsage{pid: os.Getpid(), label: "load"})
	for i := range out {
		out[i].cpuAtStart, _ = procCPU(out[i].pid)
	}
	return out
}

// finish reads the processes' figures at the end of a window.
func finish(us []procUsage, wall time.Duration) []procUsage {
	out := make([]procUsage, len(us))
	for i, u := range us {
		cpu, ok1 := procCPU(u.pid)
		rss, hwm, ok2 := procMem(u.pid)
		u.cpu, u.rss, u.hwm, u.wall, u.ok = cpu-u.cpuAtStart, rss, hwm, wall, ok1 && ok2
		out[i] = u
	}
	return out
}

func (u procUsage) line(conns int) string {
	if !u.ok {
		return fmt.Sprintf("%-12s pid %d: not readable", u.label, u.pid)
	}
	s := fmt.Sprintf("%-12s pid %d: cpu %.0f%%  rss %.1f MiB (peak %.1f MiB)", u.label, u.pid,
		100*u.cpu.Seconds()/u.wall.Seconds(), float64(u.rss)/(1<<20), float64(u.hwm)/(1<<20))
	return s
}
