package main

import (
	"fmt"
	"net/http"
	"strings"

	"rsc.io/qr"
)

// quietZone is the blank border around a QR code, in modules; scanners
// need four.
const quietZone = 4

// qr handles GET /api/workshops/{code}/qr.svg: the join link as a QR code,
// drawn here so that no outside service learns of the workshop.
func (a *api) qr(w http.ResponseWriter, r *http.Request) {
	ws, ok := a.find(w, r, r.PathValue("code"))
	if !ok {
		return
	}
	base, _ := a.base(w, r)
	code, err := qr.Encode(base+"/j/"+ws.Code, qr.M)
	if err != nil {
		a.log.Error("encode qr", "err", err)
		apiError(w, http.StatusInternalServerError, "internal", "The QR code could not be drawn.")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	cache := "no-cache" // the address in it may change with the network
	if a.cfg.publicURL == "" {
		cache = "private, no-cache" // and with the request's Host: see base
	}
	w.Header().Set("Cache-Control", cache)
	w.Write([]byte(qrSVG(code)))
}

// qrSVG draws a QR code as one SVG path of unit squares.
func qrSVG(code *qr.Code) string {
	size := code.Size + 2*quietZone
	var path strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+quietZone, y+quietZone)
			}
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`+
		`<rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`, size, size, path.String())
}
