package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
)

// testSegment is a segment's bytes with where each record starts.
type testSegment struct {
	data []byte
	at   []int // offset of each record
}

// buildSegment writes a segment whose first record is first, in write
// groups of the sizes given, record i's payload being "record i".
func buildSegment(first uint64, groups ...int) testSegment {
	s := testSegment{data: segmentHeader(first)}
	lsn := first
	for _, n := range groups {
		for place := range n {
			s.at = append(s.at, len(s.data))
			s.data = appendRecord(s.data, lsn, uint32(place), fmt.Appendf(nil, "record %d", lsn-first))
			lsn++
		}
	}
	return s
}

// oldSegment writes records in the format before record numbers.
func oldSegment(n int) testSegment {
	var s testSegment
	for i := range n {
		p := fmt.Appendf(nil, "record %d", i)
		s.at = append(s.at, len(s.data))
		s.data = binary.LittleEndian.AppendUint32(s.data, uint32(len(p)))
		s.data = binary.LittleEndian.AppendUint32(s.data, crc32.Checksum(p, walCRC))
		s.data = append(s.data, p...)
	}
	return s
}

// scanned reads data as the last segment and returns the payloads read.
func scanned(t *testing.T, data []byte, readOn bool) ([]string, segmentRead, error) {
	t.Helper()
	var got []string
	res, err := scanSegment("seg.log", data, 0, true, readOn, func(p []byte) error {
		got = append(got, string(p))
		return nil
	})
	return got, res, err
}

func records(n ...int) []string {
	var out []string
	for _, i := range n {
		out = append(out, fmt.Sprint("record ", i))
	}
	return out
}

func upTo(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint("record ", i))
	}
	return out
}

func flip(data []byte, at int) []byte {
	out := bytes.Clone(data)
	out[at] ^= 0xff
	return out
}

// TestSegmentFormat reads segments torn and damaged in each way a crash or
// a disk can: a torn tail drops only what no one was told was kept;
// damage to anything that was is an error that names its offset.
func TestSegmentFormat(t *testing.T) {
	seg := buildSegment(7, 2, 3, 1)    // records 0-1, 2-4, 5
	lastGroup := buildSegment(7, 2, 3) // records 0-1, 2-4
	end := len(seg.data)
	tests := []struct {
		name     string
		data     []byte
		want     []string
		tornAt   int // -1: not torn
		damageAt int // -1: no damage
		reason   string
	}{
		{"whole", seg.data, upTo(6), -1, -1, ""},
		{"torn tail", seg.data[:end-3], upTo(5), seg.at[5], -1, "incomplete"},
		{"torn in a record header", seg.data[:seg.at[5]+7], upTo(5), seg.at[5], -1, "incomplete record header"},
		{"zero tail", append(bytes.Clone(seg.data), make([]byte, 4096)...), upTo(6), end, -1, "zeros"},
		{"zeros where the last group was written", zeroed(lastGroup.data, lastGroup.at[3], lastGroup.at[4]), upTo(3), lastGroup.at[3], -1, "not written whole"},
		{"zeros in a group before the last", zeroed(seg.data, seg.at[3], seg.at[4]), upTo(3), -1, seg.at[3], "records written after it follow"},
		{"flipped byte in a payload", flip(seg.data, seg.at[1]+recordHeaderSize+2), upTo(1), -1, seg.at[1], "checksum"},
		{"flipped byte in the last payload", flip(seg.data, end-2), upTo(5), -1, seg.at[5], "checksum"},
		{"flipped byte in a length", flip(seg.data, seg.at[2]+5), upTo(2), -1, seg.at[2], "records written after it follow"},
		{"flipped low byte of a length", flip(seg.data, seg.at[2]+4), upTo(2), -1, seg.at[2], ""},
		{"flipped byte in the last length", flip(seg.data, seg.at[5]+5), upTo(5), -1, seg.at[5], "length is damaged"},
		{"flipped low byte of the last length", flip(seg.data, seg.at[5]+4), upTo(5), -1, seg.at[5], ""},
		{"flipped byte in a record number", flip(seg.data, seg.at[3]+8), upTo(3), -1, seg.at[3], ""},
		{"bad record then good ones", zeroed(seg.data, seg.at[1]+recordHeaderSize, seg.at[2]), upTo(1), -1, seg.at[1], "records written after it follow"},
		{"segment header", flip(seg.data, 9), nil, -1, 0, "segment header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res, err := scanned(t, tt.data, false)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got records %q, want %q", got, tt.want)
			}
			var d *DamageError
			switch {
			case tt.damageAt < 0 && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.damageAt >= 0 && !errors.As(err, &d):
				t.Fatalf("got error %v (torn: %q), want damage at %d", err, res.torn, tt.damageAt)
			case d != nil && (d.Offset != int64(tt.damageAt) || d.File != "seg.log" || !strings.Contains(d.Reason, tt.reason)):
				t.Errorf("got damage %v, want it at byte %d of seg.log, saying %q", d, tt.damageAt, tt.reason)
			case d != nil && !errors.Is(err, ErrDamaged):
				t.Errorf("got %v, want it to be ErrDamaged", err)
			}
			if tt.tornAt >= 0 && (res.torn == "" || res.tornAt != tt.tornAt || !strings.Contains(res.torn, tt.reason)) {
				t.Errorf("got torn %q at %d, want torn at %d saying %q", res.torn, res.tornAt, tt.tornAt, tt.reason)
			}
			if tt.tornAt < 0 && res.torn != "" {
				t.Errorf("got torn %q at %d, want no torn tail", res.torn, res.tornAt)
			}
		})
	}
}

func zeroed(data []byte, from, to int) []byte {
	out := bytes.Clone(data)
	clear(out[from:to])
	return out
}

// Reading on past damage gives every valid record after it, and lists the
// damage.
func TestSegmentReadOnPastDamage(t *testing.T) {
	seg := buildSegment(1, 1, 1, 1, 1, 1)
	for name, data := range map[string][]byte{
		"payload": flip(seg.data, seg.at[1]+recordHeaderSize),
		"length":  flip(seg.data, seg.at[1]+6),
	} {
		t.Run(name, func(t *testing.T) {
			got, res, err := scanned(t, data, true)
			if err != nil {
				t.Fatalf("got error %v, want none when reading on", err)
			}
			if want := records(0, 2, 3, 4); !slices.Equal(got, want) {
				t.Errorf("got records %q, want %q", got, want)
			}
			if len(res.damage) != 1 || res.damage[0].Offset != int64(seg.at[1]) {
				t.Errorf("got damage %v, want one at byte %d", res.damage, seg.at[1])
			}
		})
	}
}

// A segment that is not the last was written whole: any bad record in it
// is damage, even at its end.
func TestSegmentNotLastCannotBeTorn(t *testing.T) {
	seg := buildSegment(1, 2)
	for name, data := range map[string][]byte{
		"torn":  seg.data[:len(seg.data)-2],
		"zeros": append(bytes.Clone(seg.data), make([]byte, 64)...),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := scanSegment("seg.log", data, 0, false, false, func([]byte) error { return nil })
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("got %v, want damage", err)
			}
		})
	}
}

// Segments follow on in record numbers: one that starts later than the one
// before ended means a segment is missing.
func TestSegmentMissingBetween(t *testing.T) {
	seg := buildSegment(10, 1)
	var d *DamageError
	_, err := scanSegment("seg.log", seg.data, 5, true, false, func([]byte) error { return nil })
	if !errors.As(err, &d) || d.Offset != 0 || !strings.Contains(d.Reason, "missing") {
		t.Errorf("got %v, want damage at byte 0 saying records are missing", err)
	}
	if _, err := scanSegment("seg.log", seg.data, 9, true, false, func([]byte) error { return nil }); err != nil {
		t.Errorf("segment that follows on: got %v, want none", err)
	}
}

// Logs written before record numbers are still read, their torn and zero
// tails dropped, and damage in them refused.
func TestSegmentOldFormat(t *testing.T) {
	seg := oldSegment(3)
	tests := []struct {
		name   string
		data   []byte
		want   []string
		damage bool
	}{
		{"whole", seg.data, upTo(3), false},
		{"torn tail", seg.data[:len(seg.data)-2], upTo(2), false},
		{"zero tail", append(bytes.Clone(seg.data), make([]byte, 100)...), upTo(3), false},
		{"flipped payload byte", flip(seg.data, seg.at[1]+9), upTo(1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := scanned(t, tt.data, false)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got records %q, want %q", got, tt.want)
			}
			if gotDamage := errors.Is(err, ErrDamaged); gotDamage != tt.damage || (err != nil && !gotDamage) {
				t.Errorf("got error %v, want damage %v", err, tt.damage)
			}
		})
	}
}

// A segment of zeros, or a header cut short, as a crash while creating
// the last segment leaves it, holds nothing and stops nothing.
func TestSegmentCreatedTorn(t *testing.T) {
	for name, data := range map[string][]byte{
		"zeros":       make([]byte, 4096),
		"half header": segmentHeader(1)[:10],
	} {
		t.Run(name, func(t *testing.T) {
			got, _, err := scanned(t, data, false)
			if err != nil || len(got) != 0 {
				t.Errorf("got %q, %v; want nothing and no error", got, err)
			}
		})
	}
}

// FuzzSegment checks that no bytes make the reader panic, and that what
// it reports lies inside the segment.
func FuzzSegment(f *testing.F) {
	f.Add(buildSegment(1, 2, 1).data, true)
	f.Add(oldSegment(2).data, false)
	f.Fuzz(func(t *testing.T, data []byte, readOn bool) {
		res, err := scanSegment("seg.log", data, 0, true, readOn, func([]byte) error { return nil })
		var d *DamageError
		if errors.As(err, &d) && (d.Offset < 0 || d.Offset > int64(len(data))) {
			t.Errorf("got damage at byte %d of a %d-byte segment", d.Offset, len(data))
		}
		if res.torn != "" && (res.tornAt < 0 || res.tornAt > len(data)) {
			t.Errorf("got a torn tail at byte %d of a %d-byte segment", res.tornAt, len(data))
		}
	})
}
