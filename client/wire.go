// Package client serves one WebSocket connection of the wire contract: it
// decodes what a client sends, hands ops to the connection's room, and
// writes what the room sends back, with size, rate and time limits.
package client

import (
	"encoding/json"
	"errors"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// frame is any message a client sends; which fields matter depends on T.
type frame struct {
	T string `json:"t"`

	// join
	Code    string `json:"code"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Key     string `json:"key"`
	Token   string `json:"token"`
	Since   *int64 `json:"since"`
	SinceID string `json:"sinceId"`
	Epoch   string `json:"epoch"`
	View    string `json:"view"`
	// Presence is "delta" for presence frames with only what changed.
	Presence string `json:"presence"`

	// op
	ID string    `json:"id"`
	Op *board.Op `json:"op"`
	// Base is the board version the client had when it made the op (v1.1).
	Base *int64 `json:"base"`
}

// base is the op's base version, -1 when the client gave none.
func (f frame) base() int64 {
	if f.Base == nil || *f.Base < 0 {
		return -1
	}
	return *f.Base
}

// errMalformed means a frame could not be read as a message of the contract.
var errMalformed = errors.New("malformed frame")

// decodeFrame reads one text frame. On a frame that is JSON but whose op
// has the wrong shape, it still returns the op id, so that the refusal can
// name it.
func decodeFrame(data []byte) (frame, error) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		var probe struct {
			T  string `json:"t"`
			ID string `json:"id"`
		}
		json.Unmarshal(data, &probe)
		return frame{T: probe.T, ID: probe.ID}, errors.Join(errMalformed, err)
	}
	return f, nil
}

// joinRequest turns a join frame into the hub's request.
func (f frame) joinRequest() hub.JoinRequest {
	return hub.JoinRequest{
		Name: f.Name, Role: board.Role(f.Role), Key: f.Key, Token: f.Token,
		Since: f.Since, SinceID: f.SinceID, Epoch: f.Epoch, View: f.View,
		PresenceDelta: f.Presence == "delta",
	}
}
