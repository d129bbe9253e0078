package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"k8s.io/utils/clock"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/reasoncode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// The reason codes the broker itself sends beyond the engine's.
const (
	codeUnspecifiedError     = 0x80
	codeProtocolError        = 0x82
	codeContinueAuth         = 0x18
	codeMQTT311NotAuthorized = 0x05
)

// errExpired stops a connection whose credential expired.
var errExpired = errors.New("credential expired")

// conn is the broker's state for one connection it let in.
type conn struct {
	cl   *mqtt.Client
	net  net.Conn
	port *port

	mu          sync.Mutex
	methodIndex *int
	method      *v1.Method
	username    *string
	expiresAt   *time.Time
	timer       clock.Timer
	// gen tells a timer replaced by a re-authentication from the current.
	gen   int
	ended bool
	// refused is the DISCONNECT a refused re-authentication sent: the
	// client may close the connection before mochi records why it ended.
	refused *packets.Code
}

func (c *conn) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// hook is the mochi hook through which every CONNECT, AUTH and end of a
// connection passes.
type hook struct {
	mqtt.HookBase
	b *Broker
}

func (h *hook) ID() string { return "kubectl-aio-authn" }

func (h *hook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSessionEstablished,
		mqtt.OnAuthPacket, mqtt.OnPacketEncode, mqtt.OnDisconnect:
		return true
	}
	return false
}

// OnConnectAuthenticate lets in every client that reaches it: OnConnect has
// refused the others with their own CONNACK.
func (h *hook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck allows everything: authorization is not rehearsed here.
func (h *hook) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// OnConnect judges the CONNECT with the port's engine. A refusal gets the
// engine's CONNACK code with its reason as the reason string (0x05 for
// MQTT 3.1.1 clients, which have no such codes), sent here because mochi
// would send a fixed 0x86.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	p := b.byID[cl.Net.Listener]
	if p == nil {
		return packets.ErrServerUnavailable
	}
	creds := authn.Credentials{AuthMethod: pk.Properties.AuthenticationMethod, AuthData: pk.Properties.AuthenticationData, PlainTCP: !p.tls}
	if pk.Connect.UsernameFlag {
		creds.Username = string(pk.Connect.Username)
	}
	if pk.Connect.PasswordFlag {
		creds.Password = pk.Connect.Password
	}
	if tc, ok := cl.Net.Conn.(*tls.Conn); ok {
		creds.Certificates = tc.ConnectionState().PeerCertificates
	}
	var d *authn.Decision
	if p.engine == nil {
		d = authn.Disabled(b.listener.Name, p.number)
	} else {
		_ = cl.Net.Conn.SetDeadline(time.Now().Add(b.decisionTimeout + 5*time.Second))
		ctx, cancel := context.WithTimeout(b.ctx, b.decisionTimeout)
		d = p.engine.Explain(ctx, creds, b.clock.Now())
		cancel()
	}

	ev := b.newEvent(EventConnect, cl, p)
	ev.Decision, ev.Method, ev.Reason, ev.Warnings = &d.Decision, d.Method, d.Reason(), d.Warnings
	if d.Decision == authn.Granted {
		ev.Username, ev.Attributes, ev.ExpiresAt = d.Username, d.Attributes, d.ExpiresAt
		ev.Connack = &Code{Code: authn.CodeSuccess, Name: authn.ConnackFor(authn.CodeSuccess).Name}
		b.track(&conn{cl: cl, net: cl.Net.Conn, port: p, methodIndex: d.MethodIndex, method: d.Method, username: d.Username, expiresAt: d.ExpiresAt})
		b.events.write(ev)
		return nil
	}
	code := packets.Code{Code: codeUnspecifiedError, Reason: reasonString("serve broker cannot decide: " + d.Reason())}
	if d.Connack != nil {
		code = packets.Code{Code: d.Connack.Code, Reason: reasonString(d.Reason())}
	}
	ev.Connack = &Code{Code: code.Code, Name: authn.ConnackFor(code.Code).Name}
	if cl.Properties.ProtocolVersion < 5 {
		code = packets.Code{Code: codeMQTT311NotAuthorized}
		ev.Connack = &Code{Code: code.Code, Name: "Connection Refused, not authorized (MQTT 3.1.1)"}
	}
	b.events.write(ev)
	_ = b.server.SendConnack(cl, code, false, &packets.Properties{})
	return code
}

// OnSessionEstablished starts the expiry timer once CONNACK is sent, so that
// a credential that has already expired (a token within the API server's
// leeway) closes the connection right after the client got in, as the
// broker does.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	if c := h.b.lookup(cl); c != nil {
		c.mu.Lock()
		h.b.arm(c)
		c.mu.Unlock()
	}
}

// OnPacketEncode echoes the CONNECT's authentication method in a successful
// CONNACK, as MQTT 5.0 requires [MQTT-4.12.0-5]; mochi leaves it out.
func (h *hook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && pk.ReasonCode == packets.CodeSuccess.Code && cl.Properties.ProtocolVersion == 5 {
		if m := cl.Properties.Props.AuthenticationMethod; m != "" {
			pk.Properties.AuthenticationMethod = m
		}
	}
	return pk
}

// OnAuthPacket is a re-authentication. mochi discards the packet a hook
// returns, so the AUTH answers are written here; an error makes mochi send
// DISCONNECT with its code and reason string and close the connection.
func (h *hook) OnAuthPacket(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	b := h.b
	c := b.lookup(cl)
	if c == nil {
		return pk, packets.Code{Code: codeProtocolError, Reason: "AUTH before the connection was let in"}
	}
	connectMethod := cl.Properties.Props.AuthenticationMethod
	method := pk.Properties.AuthenticationMethod
	ev := b.newEvent(EventReauth, cl, c.port)
	c.mu.Lock()
	ev.Method, ev.Username = c.method, c.username
	index := c.methodIndex
	isX509 := c.method != nil && *c.method == v1.MethodX509
	c.mu.Unlock()

	refuse := func(code uint8, reason string) (packets.Packet, error) {
		denied := authn.Denied
		ev.Decision = &denied
		return b.disconnect(c, ev, code, reason, pk)
	}
	switch {
	case pk.ReasonCode == packets.CodeSuccess.Code:
		return refuse(codeProtocolError, "AUTH with reason 0x00 from a client: only the server ends an authentication exchange")
	case isX509:
		// The engine says why, whatever the packet holds.
	case connectMethod == "":
		return refuse(codeProtocolError, "AUTH on a connection that did not use enhanced authentication at CONNECT: MQTT 5.0 allows re-authentication only with the CONNECT's method")
	case method != connectMethod:
		return refuse(codeProtocolError, fmt.Sprintf("AUTH with method %q on a connection authenticated with %q: MQTT 5.0 requires the CONNECT's method", method, connectMethod))
	case c.port.engine == nil:
		granted := authn.Granted
		ev.Decision, ev.Reason = &granted, "authentication is disabled on this port"
		ev.Reply = authReply(packets.CodeSuccess.Code)
		b.events.write(ev)
		return pk, b.sendAuth(cl, packets.CodeSuccess.Code, connectMethod, "")
	}

	creds := authn.Credentials{AuthMethod: method, AuthData: pk.Properties.AuthenticationData}
	ctx, cancel := context.WithTimeout(b.ctx, b.decisionTimeout)
	r := c.port.engine.Reauthenticate(ctx, derefIndex(index), creds, b.clock.Now())
	cancel()
	ev.Decision, ev.Reason, ev.Warnings = &r.Result, r.Reason(), r.Warnings
	switch {
	case r.Result == authn.Granted:
		c.mu.Lock()
		c.username, c.expiresAt = r.Username, r.ExpiresAt
		b.arm(c)
		c.mu.Unlock()
		ev.Username, ev.Attributes, ev.ExpiresAt = r.Username, r.Attributes, r.ExpiresAt
		ev.Reply = authReply(packets.CodeSuccess.Code)
		b.events.write(ev)
		return pk, b.sendAuth(cl, packets.CodeSuccess.Code, connectMethod, "")
	case r.Transient:
		ev.Reply = authReply(codeContinueAuth)
		b.events.write(ev)
		return pk, b.sendAuth(cl, codeContinueAuth, connectMethod, reasonString(r.Reason()+": try again"))
	case r.Result == authn.Denied:
		code, reason := r.ReasonCode, r.Reason()
		if !reasoncode.Defined(reasoncode.Disconnect, code) {
			reason += fmt.Sprintf(" (0x%02X is no DISCONNECT reason code, so 0x87 Not authorized)", code)
			code = authn.CodeNotAuthorized
		}
		return b.disconnect(c, ev, code, reason, pk)
	}
	return b.disconnect(c, ev, codeUnspecifiedError, "serve broker cannot decide: "+r.Reason(), pk)
}

// disconnect ends a re-authentication with DISCONNECT: mochi sends it, with
// the reason string, for the error returned.
func (b *Broker) disconnect(c *conn, ev Event, code uint8, reason string, pk packets.Packet) (packets.Packet, error) {
	ev.Reason = reason
	ev.Reply = &Reply{Packet: reasoncode.Disconnect, Code: Code{Code: code, Name: reasoncode.Name(reasoncode.Disconnect, code)}}
	b.events.write(ev)
	sent := packets.Code{Code: code, Reason: reasonString(reason)}
	c.mu.Lock()
	c.refused = &sent
	c.mu.Unlock()
	return pk, sent
}

func (b *Broker) sendAuth(cl *mqtt.Client, code uint8, method, reason string) error {
	return cl.WritePacket(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Auth},
		ReasonCode:  code,
		Properties:  packets.Properties{AuthenticationMethod: method, ReasonString: reason},
	})
}

func authReply(code uint8) *Reply {
	return &Reply{Packet: reasoncode.Auth, Code: Code{Code: code, Name: reasoncode.Name(reasoncode.Auth, code)}}
}

func derefIndex(i *int) int {
	if i == nil {
		return -1
	}
	return *i
}

// OnDisconnect logs how a connection the broker let in ended.
func (h *hook) OnDisconnect(cl *mqtt.Client, err error, _ bool) {
	b := h.b
	c := b.untrack(cl)
	if c == nil {
		return
	}
	ev := b.newEvent(EventDisconnect, cl, c.port)
	c.mu.Lock()
	c.ended = true
	c.stopTimer()
	ev.Method, ev.Username = c.method, c.username
	cause := cl.StopCause()
	// The client closes the connection as soon as it reads a DISCONNECT,
	// and mochi may record that close as the cause before its own.
	switch {
	case c.refused != nil:
		cause = *c.refused
	case b.closing.Load():
		cause = packets.ErrServerShuttingDown
	}
	c.mu.Unlock()
	ev.Reason = howItEnded(cause, err)
	b.events.write(ev)
}

func howItEnded(cause, err error) string {
	var code packets.Code
	switch {
	case errors.Is(cause, errExpired):
		return "the credential expired: the broker closed the connection without DISCONNECT"
	case errors.As(cause, &code) && code.Code < 0x80:
		return "the client sent DISCONNECT"
	case errors.As(cause, &code):
		return fmt.Sprintf("the broker sent DISCONNECT 0x%02X %s", code.Code, reasoncode.Name(reasoncode.Disconnect, code.Code))
	case cause != nil:
		return "closed: " + cause.Error()
	case err != nil:
		return "the connection closed without DISCONNECT: " + err.Error()
	}
	return "the connection closed"
}

// arm (re)starts c's expiry timer; the caller holds c.mu.
func (b *Broker) arm(c *conn) {
	c.stopTimer()
	c.gen++
	if c.expiresAt == nil || c.ended {
		return
	}
	gen := c.gen
	// A fake clock runs the function while it holds its own lock, and
	// expire reads the clock: run it on its own goroutine either way.
	c.timer = b.clock.AfterFunc(c.expiresAt.Sub(b.clock.Now()), func() { go b.expire(c, gen) })
}

// expire closes the connection without DISCONNECT, as the broker does when a
// credential expires.
func (b *Broker) expire(c *conn, gen int) {
	c.mu.Lock()
	if c.gen != gen || c.ended {
		c.mu.Unlock()
		return
	}
	ev := b.newEvent(EventExpired, c.cl, c.port)
	ev.Method, ev.Username, ev.ExpiresAt = c.method, c.username, c.expiresAt
	ev.Reason = "the credential expired: closing the connection without DISCONNECT"
	c.mu.Unlock()
	b.events.write(ev)
	c.cl.Stop(errExpired)
}

func (b *Broker) newEvent(kind string, cl *mqtt.Client, p *port) Event {
	return Event{Time: b.clock.Now().UTC(), Event: kind, Listener: b.listener.Name, Port: p.number, ClientID: cl.ID, Remote: cl.Net.Remote}
}

func (b *Broker) track(c *conn) {
	b.mu.Lock()
	b.conns[c.cl] = c
	b.byNet[c.net] = c.cl
	b.mu.Unlock()
}

func (b *Broker) lookup(cl *mqtt.Client) *conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns[cl]
}

func (b *Broker) untrack(cl *mqtt.Client) *conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.conns[cl]
	if c != nil {
		delete(b.conns, cl)
		delete(b.byNet, c.net)
	}
	return c
}

// connectionEnded forgets a connection mochi is done with, for the ones it
// let in but never reported disconnected (a CONNACK that could not be
// written).
func (b *Broker) connectionEnded(nc net.Conn) {
	b.mu.Lock()
	cl, ok := b.byNet[nc]
	var c *conn
	if ok {
		c = b.conns[cl]
		delete(b.conns, cl)
		delete(b.byNet, nc)
	}
	b.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		c.ended = true
		c.stopTimer()
		c.mu.Unlock()
	}
}

// maxReasonString bounds a reason string: an MQTT string holds at most
// 65,535 bytes, and a client needs far fewer.
const maxReasonString = 2048

// reasonString makes text safe as an MQTT reason string: control characters
// escaped (a certificate subject or username may hold them) and the length
// bounded on a character boundary.
func reasonString(s string) string {
	s = ui.Escape(s)
	if len(s) <= maxReasonString {
		return s
	}
	cut := maxReasonString - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
