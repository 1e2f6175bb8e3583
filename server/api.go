package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// maxBody bounds request bodies of the API.
const maxBody = 16 << 10

// api serves the JSON routes of the contract.
type api struct {
	cfg     config
	hub     *hub.Hub
	log     *slog.Logger
	creates *client.Limiter // workshops created per client address
	lan     *lanFinder      // this machine's address on its network
	misses  *client.Limiter // lookups of workshops that do not exist, per client address
	boards  *boardCache     // what the cheap reads need of each board
	sites   *http.CrossOriginProtection
}

// apiError writes the contract's error shape.
func apiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// jsonOnly refuses a request whose body is not JSON and one a browser
// sends from another site, answering itself; it lets through a body
// declared application/json and no body at all. Pages on other sites can
// send text/plain, form and multipart bodies without asking (no CORS
// preflight), so these are what a forged request would be.
func (a *api) jsonOnly(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			apiError(w, http.StatusUnsupportedMediaType, board.CodeInvalid, "Send the request as JSON, with Content-Type: application/json.")
			return false
		}
	}
	if err := a.sites.Check(r); err != nil {
		apiError(w, http.StatusForbidden, board.CodeForbidden, "This server does not take that request from a page on another site.")
		return false
	}
	return true
}

// create handles POST /api/workshops. The creation token is checked
// before the address's creation budget is spent, so that requests
// without it cannot use up anyone's budget.
func (a *api) create(w http.ResponseWriter, r *http.Request) {
	if !a.jsonOnly(w, r) {
		return
	}
	if a.cfg.createToken != "" {
		tok := bearer(r)
		if tok == "" {
			apiError(w, http.StatusUnauthorized, "unauthorized", "Creating a workshop on this server needs an access token.")
			return
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.createToken)) != 1 {
			apiError(w, http.StatusForbidden, "forbidden", "That access token is not right for this server.")
			return
		}
	}
	if !a.creates.Allow(a.cfg.clientAddr(r)) {
		w.Header().Set("Retry-After", "600")
		apiError(w, http.StatusTooManyRequests, board.CodeRateLimited, "Too many workshops were created from this network. Try again later.")
		return
	}
	var body struct {
		Title  *string `json:"title"`
		Sample bool    `json:"sample"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	err := dec.Decode(&body)
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		apiError(w, http.StatusRequestEntityTooLarge, board.CodeTooLarge, "That request is too large. Send just a title.")
		return
	}
	if body.Sample && err == nil {
		body.Title = new(sampleTitle(body.Title))
	}
	if err != nil || body.Title == nil {
		apiError(w, http.StatusBadRequest, board.CodeInvalid, `Send a JSON body with a "title" for the workshop.`)
		return
	}
	ws, key, err := a.hub.CreateWorkshop(r.Context(), *body.Title)
	var bad *board.Error
	switch {
	case errors.As(err, &bad):
		apiError(w, http.StatusBadRequest, bad.Code, bad.Message)
		return
	case errors.Is(err, hub.ErrFull):
		w.Header().Set("Retry-After", "300")
		apiError(w, http.StatusServiceUnavailable, board.CodeFull, "This server cannot take a new workshop just now: it is running as many as it can. Try again in a few minutes.")
		return
	case err != nil:
		a.log.Error("create workshop", "err", err)
		apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The workshop could not be created just now. Try again in a moment.")
		return
	}
	if body.Sample {
		if err := a.seedSample(r.Context(), ws); err != nil {
			a.log.Error("fill the sample workshop", "workshop", ws.ID, "err", err)
			if err := a.hub.DeleteWorkshop(context.WithoutCancel(r.Context()), ws.ID); err != nil {
				a.log.Warn("delete the unfinished sample", "workshop", ws.ID, "err", err)
			}
			apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The sample workshop could not be made just now. Try again in a moment.")
			return
		}
	}
	a.log.Info("workshop created", "workshop", ws.ID, "sample", body.Sample)
	base, loopback := a.base(w, r)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": ws.ID, "code": ws.Code, "title": ws.Title, "facilitatorKey": key,
		"joinUrl": base + "/j/" + ws.Code, "wallUrl": base + "/w/" + ws.Code, "loopback": loopback,
		"facilitatorUrl": a.cfg.publicURL + "/f/" + ws.ID + "#key=" + key,
	})
}

// links handles GET /api/workshops/{id}/links, for the facilitator's
// page: the links to hand out, made from an address phones can reach,
// and whether that address is this machine's loopback all the same (no
// network was found), so the page can warn that phones cannot join.
func (a *api) links(w http.ResponseWriter, r *http.Request) {
	ws, ok := a.facilitator(w, r)
	if !ok {
		return
	}
	base, loopback := a.base(w, r)
	writeJSON(w, http.StatusOK, map[string]any{
		"joinUrl": base + "/j/" + ws.Code, "wallUrl": base + "/w/" + ws.Code,
		"facilitatorUrl": base + "/f/" + ws.ID, "loopback": loopback,
	})
}

// find looks up the workshop a path names, answering 404 or 503 itself.
func (a *api) find(w http.ResponseWriter, r *http.Request, ref string) (board.Workshop, bool) {
	ws, err := a.lookup(r, ref)
	var guessing *errGuessing
	switch {
	case errors.As(err, &guessing):
		w.Header().Set("Retry-After", guessing.retryAfter())
		apiError(w, http.StatusTooManyRequests, board.CodeRateLimited, guessingMessage)
		return ws, false
	case errors.Is(err, hub.ErrNotFound):
		apiError(w, http.StatusNotFound, board.CodeNotFound, "There is no workshop with that code. Check the code and try again.")
		return ws, false
	case err != nil:
		a.log.Warn("find workshop", "err", err)
		apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The server cannot look that up right now. Try again in a moment.")
		return ws, false
	}
	return ws, true
}

// show handles GET /api/workshops/{code}: public facts only.
func (a *api) show(w http.ResponseWriter, r *http.Request) {
	ws, ok := a.find(w, r, r.PathValue("code"))
	if !ok {
		return
	}
	f, err := a.boards.facts(r.Context(), ws)
	if err != nil {
		a.log.Warn("read phase", "workshop", ws.ID, "err", err)
		apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The server cannot look that up right now. Try again in a moment.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": ws.ID, "code": ws.Code, "title": ws.Title, "phase": string(f.phase)})
}

// facilitator finds the workshop of {id} and checks the bearer key.
func (a *api) facilitator(w http.ResponseWriter, r *http.Request) (board.Workshop, bool) {
	key := bearer(r)
	if key == "" {
		apiError(w, http.StatusUnauthorized, "unauthorized", "This needs the facilitator key.")
		return board.Workshop{}, false
	}
	ws, ok := a.find(w, r, r.PathValue("id"))
	if !ok {
		return ws, false
	}
	if !hub.KeyMatches(key, ws.KeyHash) {
		apiError(w, http.StatusForbidden, board.CodeForbidden, "That facilitator key is not right for this workshop.")
		return ws, false
	}
	return ws, true
}

// remove handles DELETE /api/workshops/{id}.
func (a *api) remove(w http.ResponseWriter, r *http.Request) {
	if !a.jsonOnly(w, r) {
		return
	}
	ws, ok := a.facilitator(w, r)
	if !ok {
		return
	}
	if err := a.hub.DeleteWorkshop(r.Context(), ws.ID); err != nil {
		a.log.Error("delete workshop", "workshop", ws.ID, "err", err)
		apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The workshop could not be deleted just now. Try again in a moment.")
		return
	}
	a.boards.forget(ws.ID)
	a.log.Info("workshop deleted", "workshop", ws.ID)
	w.WriteHeader(http.StatusNoContent)
}

// ready handles GET /readyz: 200 only while the store answers.
func (a *api) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.hub.Ping(ctx); err != nil {
		apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The store is not answering.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
