package client

import "bufio"

// An idle connection's reader spends nearly all its life waiting for the
// next frame, and its stack is most of what an idle phone costs. Waiting
// inside the WebSocket library takes a stack of 4 KiB; waiting in await,
// on the read buffer the library reads from, fits in 2 KiB, the smallest,
// so 10,000 idle phones take 20 MB less. A stack that grew does not
// shrink that far, so the reader waits on a goroutine that has done
// nothing else (see Conn.readOps), and await takes pongs, the only frames
// an idle phone sends, itself, as the library's pong handler would: the
// library would read one and then wait deep inside for the next frame.

// The parts of a frame header (RFC 6455, section 5.2) that tell a pong.
const (
	finPong     = 0x80 | 0xA // FIN set, no extension bits, opcode pong
	maskBit     = 0x80       // every frame from a client is masked
	maxControl  = 125        // a control frame's payload is at most this
	maskKeySize = 4
)

// await returns once the next frame that is not a pong has started to
// arrive (or the connection has failed: the library meets the error again
// on its next read), taking each complete pong from in and calling pong
// for it. Anything else, a malformed pong too, is left to the library.
func await(in *bufio.Reader, pong func() error) {
	for {
		h, err := in.Peek(2)
		if err != nil || h[0] != finPong || h[1]&maskBit == 0 || int(h[1]&^maskBit) > maxControl {
			return
		}
		n := 2 + maskKeySize + int(h[1]&^maskBit)
		if _, err := in.Peek(n); err != nil {
			return
		}
		in.Discard(n)
		pong()
	}
}
