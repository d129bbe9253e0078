package broker

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
)

// The kinds of event.
const (
	EventConnect    = "connect"
	EventReauth     = "reauth"
	EventExpired    = "expired"
	EventDisconnect = "disconnect"
)

// Event is one line of the events log. The keys up to Connack are always
// present (null when they do not apply); the others only when they do.
type Event struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	// Listener and Port name the BrokerListener port as the bundle has it.
	Listener string `json:"listener"`
	Port     int32  `json:"port"`
	ClientID string `json:"clientId"`
	Remote   string `json:"remote"`
	// Decision is the engine's: granted, denied or indeterminate; for a
	// disconnect or an expiry, null.
	Decision *authn.Result `json:"decision"`
	// Method is the entry that decided, null when none did (or
	// authentication is disabled).
	Method *v1.Method `json:"method"`
	// Username is who the broker authorizes the client as.
	Username *string `json:"username"`
	// Connack is the CONNACK sent, for a connect.
	Connack *Code `json:"connack"`
	// Reply is the packet a re-authentication was answered with: AUTH
	// 0x00 or 0x18, or DISCONNECT.
	Reply *Reply `json:"reply,omitempty"`
	// Reason is why: the engine's reason, or how a connection ended.
	Reason string `json:"reason,omitempty"`
	// Attributes are the authorization attributes of a grant, when it
	// has any.
	Attributes map[string]string `json:"attributes,omitempty"`
	// ExpiresAt is when the connection will be closed, for a grant.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Warnings  []string   `json:"warnings,omitempty"`
}

// Code is an MQTT reason code and its name.
type Code struct {
	Code uint8  `json:"code"`
	Name string `json:"name"`
}

// Reply is a packet the broker answered with.
type Reply struct {
	Packet string `json:"packet"`
	Code
}

// events writes one JSON line per event. Writes are serialized; the first
// write error is kept and later events are dropped, so a full disk does not
// stall clients.
type events struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (e *events) write(ev Event) {
	if e == nil || e.w == nil {
		return
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return
	}
	line = append(line, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return
	}
	if _, err := e.w.Write(line); err != nil {
		e.err = err
	}
}

func (e *events) failure() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
