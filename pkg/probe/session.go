package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
)

// session is one MQTT connection driven by paho, and what its callbacks
// report.
type session struct {
	p      *Prober
	conn   net.Conn
	wire   *recorder
	client *paho.Client
	auth   *authHandler

	// ended is closed when the broker or the network ends the connection
	// before the probe does; end says how.
	ended   chan struct{}
	endOnce sync.Once
	end     endEvent
	closing atomic.Bool

	mu       sync.Mutex
	nonce    []byte        // the payload of the probe's own message
	received chan struct{} // the own message came back
}

type endEvent struct {
	at         time.Time
	disconnect *paho.Disconnect // the broker's DISCONNECT; nil for a close
	err        error
}

func (p *Prober) newSession(conn net.Conn) *session {
	s := &session{
		p:        p,
		conn:     conn,
		wire:     &recorder{Conn: conn, on: true, timeout: p.cfg.Timeout},
		ended:    make(chan struct{}),
		received: make(chan struct{}, 1),
		auth:     &authHandler{method: p.cfg.Credentials.AuthMethod, data: p.cfg.Credentials.AuthData, continued: make(chan *paho.Auth, 1)},
	}
	s.client = paho.NewClient(paho.ClientConfig{
		ClientID: p.cfg.ClientID,
		// paho reads the CONNACK through the recorder, which keeps the
		// bytes: paho's own decoding reports absent booleans as true.
		Conn: packets.NewThreadSafeConn(s.wire),
		// Always a handler: paho v0.23.0 crashes on a CONNACK carrying an
		// authentication method when there is none.
		AuthHandler:       s.auth,
		PacketTimeout:     p.cfg.Timeout,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){s.onPublish},
		OnServerDisconnect: func(d *paho.Disconnect) {
			s.finish(endEvent{at: time.Now(), disconnect: d})
		},
		OnClientError: func(err error) {
			s.finish(endEvent{at: time.Now(), err: err})
		},
	})
	return s
}

// finish records how the connection ended, once, unless the probe is
// closing it itself.
func (s *session) finish(e endEvent) {
	if s.closing.Load() {
		return
	}
	s.endOnce.Do(func() {
		s.end = e
		close(s.ended)
	})
}

func (s *session) connect(ctx context.Context) (*paho.Connack, error) {
	c := s.p.cfg.Credentials
	cp := &paho.Connect{
		ClientID:   s.p.cfg.ClientID,
		KeepAlive:  s.p.cfg.KeepAlive,
		CleanStart: true,
		Properties: &paho.ConnectProperties{
			// Always set: with Properties given, paho sends 0 for a
			// false RequestProblemInfo and the broker strips its reason
			// strings, which are the point of a probe.
			RequestProblemInfo: true,
			AuthMethod:         c.AuthMethod,
			AuthData:           c.AuthData,
		},
	}
	if c.Username != "" {
		cp.UsernameFlag, cp.Username = true, c.Username
	}
	if c.Password != nil {
		cp.PasswordFlag, cp.Password = true, c.Password
	}
	cctx, cancel := context.WithTimeout(ctx, s.p.cfg.Timeout)
	defer cancel()
	ca, err := s.client.Connect(cctx, cp)
	s.wire.stop()
	return ca, err
}

func (s *session) onPublish(pr paho.PublishReceived) (bool, error) {
	s.mu.Lock()
	mine := s.nonce != nil && bytes.Equal(pr.Packet.Payload, s.nonce)
	s.mu.Unlock()
	if mine {
		select {
		case s.received <- struct{}{}:
		default:
		}
	}
	return mine, nil
}

// pubsub subscribes to topic, publishes a message of its own to it (both
// QoS 1) and waits for the message to come back.
func (s *session) pubsub(ctx context.Context, topic string) *PubSub {
	ps := &PubSub{}
	timeout := s.p.cfg.Timeout
	sctx, cancel := context.WithTimeout(ctx, timeout)
	sa, err := s.client.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}})
	cancel()
	if sa != nil && len(sa.Reasons) > 0 {
		code := sa.Reasons[0]
		ps.SubscribeCode = &code
		if code >= 0x80 && sa.Properties != nil {
			ps.ReasonString = sa.Properties.ReasonString
		}
	} else {
		ps.Error = s.stepError("SUBACK", err)
		return ps
	}

	nonce := []byte("kubectl aio-authn probe " + randomHex(8))
	s.mu.Lock()
	s.nonce = nonce
	s.mu.Unlock()
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	pr, err := s.client.Publish(pctx, &paho.Publish{Topic: topic, QoS: 1, Payload: nonce})
	cancel()
	if pr == nil {
		ps.Error = s.stepError("PUBACK", err)
		return ps
	}
	code := pr.ReasonCode
	ps.PublishCode = &code
	if code >= 0x80 && pr.Properties != nil && ps.ReasonString == "" {
		ps.ReasonString = pr.Properties.ReasonString
	}
	if RefusalCode(ps.SubscribeCode) {
		return ps // nothing can come back
	}
	wait := time.NewTimer(timeout)
	defer wait.Stop()
	select {
	case <-s.received:
		ps.Received = true
		ps.RoundTripMs = msPtr(time.Since(start))
	case <-wait.C:
		ps.Error = fmt.Sprintf("the message did not come back within %s", timeout)
	case <-s.ended:
		ps.Error = "the connection ended before the message came back"
	case <-ctx.Done():
		ps.Error = "interrupted before the message came back"
	}
	return ps
}

// stepError says why an acknowledgement did not come.
func (s *session) stepError(ack string, err error) string {
	switch {
	case err == nil:
		return "no " + ack
	case isTimeout(err):
		return fmt.Sprintf("no %s within %s", ack, s.p.cfg.Timeout)
	case errors.Is(err, paho.ErrConnectionLost):
		return "the connection ended before the " + ack
	}
	return fmt.Sprintf("no %s: %v", ack, err)
}

// reauth sends AUTH 0x19 with the connection's method and data, and waits
// for the broker's answer: AUTH 0x00, AUTH 0x18, a DISCONNECT, a close
// without one, or nothing.
func (s *session) reauth(ctx context.Context, data []byte) *Reauth {
	select {
	case <-s.ended:
		return &Reauth{Result: ReauthConnectionLost}
	default:
	}
	s.auth.setData(data)
	s.auth.drain()
	actx, cancel := context.WithTimeout(ctx, s.p.cfg.Timeout)
	defer cancel()
	type answer struct {
		r   *paho.AuthResponse
		err error
	}
	answers := make(chan answer, 1)
	go func() {
		r, err := s.client.Authenticate(actx, &paho.Auth{
			ReasonCode: packets.AuthReauthenticate,
			Properties: &paho.AuthProperties{AuthMethod: s.p.cfg.Credentials.AuthMethod, AuthData: data},
		})
		answers <- answer{r, err}
	}()
	// paho's Authenticate returns on AUTH 0x00 or DISCONNECT only: AUTH
	// 0x18 goes to the handler, and a close without DISCONNECT (how the
	// broker ends an expired credential) leaves it waiting for its
	// context. So the end of the session is watched too.
	select {
	case a := <-answers:
		if a.err != nil {
			if isTimeout(a.err) {
				return &Reauth{Result: ReauthTimeout}
			}
			return &Reauth{Result: ReauthConnectionLost}
		}
		out := &Reauth{Result: ReauthFailed, Code: &a.r.ReasonCode}
		if a.r.Success {
			out.Result = ReauthSuccess
		}
		if a.r.Properties != nil {
			out.ReasonString = a.r.Properties.ReasonString
		}
		if !a.r.Success {
			// paho answers with the broker's DISCONNECT, and may do so
			// before its OnServerDisconnect has told the session: the
			// connection ended here, by the broker, whichever comes first.
			s.finish(endEvent{at: time.Now(), disconnect: &paho.Disconnect{ReasonCode: a.r.ReasonCode,
				Properties: &paho.DisconnectProperties{ReasonString: out.ReasonString}}})
		}
		return out
	case a := <-s.auth.continued:
		out := &Reauth{Result: ReauthContinue, Code: &a.ReasonCode}
		if a.Properties != nil {
			out.ReasonString = a.Properties.ReasonString
		}
		return out
	case <-s.ended:
		if d := s.end.disconnect; d != nil {
			out := &Reauth{Result: ReauthFailed, Code: &d.ReasonCode}
			if d.Properties != nil {
				out.ReasonString = d.Properties.ReasonString
			}
			return out
		}
		return &Reauth{Result: ReauthConnectionLost}
	case <-actx.Done():
		return &Reauth{Result: ReauthTimeout}
	}
}

// close reports how the connection ended if the broker or the network
// ended it, and otherwise ends it with DISCONNECT 0x00.
func (s *session) close(connectedAt time.Time) *Disconnect {
	select {
	case <-s.ended:
		return s.end.report(connectedAt)
	default:
	}
	s.closing.Store(true)
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.p.cfg.Timeout))
	_ = s.client.Disconnect(&paho.Disconnect{ReasonCode: packets.DisconnectNormalDisconnection})
	return nil
}

func (e endEvent) report(connectedAt time.Time) *Disconnect {
	d := &Disconnect{By: ByNetwork, AfterMs: ms(e.at.Sub(connectedAt))}
	if e.disconnect != nil {
		code := e.disconnect.ReasonCode
		d.By, d.Code = ByServer, &code
		if e.disconnect.Properties != nil {
			d.ReasonString = e.disconnect.Properties.ReasonString
		}
	} else if e.err != nil {
		d.Error = e.err.Error()
	}
	return d
}

// authHandler answers the broker's AUTH packets. paho calls Authenticate
// for an AUTH 0x18 (continue authentication), before CONNACK or during a
// re-authentication, and writes whatever it returns: returning nil would
// crash it. The answer is AUTH 0x18 with the same method and data, as
// Microsoft's SDK answers when the broker could not decide for now.
type authHandler struct {
	method    string
	mu        sync.Mutex
	data      []byte
	continued chan *paho.Auth
}

func (h *authHandler) Authenticate(a *paho.Auth) *paho.Auth {
	select {
	case h.continued <- a:
	default:
	}
	h.mu.Lock()
	data := h.data
	h.mu.Unlock()
	return &paho.Auth{
		ReasonCode: packets.AuthContinueAuthentication,
		Properties: &paho.AuthProperties{AuthMethod: h.method, AuthData: data},
	}
}

func (h *authHandler) Authenticated() {}

func (h *authHandler) setData(data []byte) {
	h.mu.Lock()
	h.data = data
	h.mu.Unlock()
}

// drain forgets a continue request of an earlier exchange.
func (h *authHandler) drain() {
	select {
	case <-h.continued:
	default:
	}
}
