package probe_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
)

// Mosquitto cannot re-authenticate (it refuses every enhanced
// authentication method) and does not end connections by itself, so these
// tests run mochi, the MQTT broker library `serve broker` is built on, with
// a hook that answers each re-authentication and ends each connection the
// way the test asks: the real wire protocol of a real broker, with the
// decisions scripted.

// scripted is a mochi hook that accepts every CONNECT and answers AUTH
// 0x19 with answer; after a connect it ends the connection after endAfter
// with endCode (a DISCONNECT), or, when endCode is 0, closes it without one.
// The timer starts before CONNACK is sent, so a probe sees the end a little
// sooner after its CONNACK: the tests allow for that.
type scripted struct {
	mqtt.HookBase
	server   *mqtt.Server
	answer   func(cl *mqtt.Client, pk packets.Packet) error
	endAfter time.Duration
	endCode  byte
}

func (h *scripted) ID() string { return "scripted" }

func (h *scripted) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnAuthPacket, mqtt.OnSessionEstablished}, []byte{b})
}

func (h *scripted) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func (h *scripted) OnAuthPacket(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if h.answer == nil {
		return pk, nil
	}
	return pk, h.answer(cl, pk)
}

func (h *scripted) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	if h.endAfter == 0 {
		return
	}
	time.AfterFunc(h.endAfter, func() {
		if h.endCode == 0 {
			cl.Stop(errors.New("credential expired"))
			return
		}
		_ = h.server.DisconnectClient(cl, packets.Code{Code: h.endCode, Reason: "session taken over"})
	})
}

func startMochi(t *testing.T, h *scripted) probe.Server {
	t.Helper()
	s := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h.server = s
	if err := s.AddHook(h, nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := s.AddListener(l); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	t.Cleanup(func() { _ = s.Close() })
	_, port, _ := net.SplitHostPort(l.Address())
	n, _ := strconv.Atoi(port)
	return probe.Server{Host: "127.0.0.1", Port: n}
}

func writeAuth(cl *mqtt.Client, code byte, reason string) error {
	return cl.WritePacket(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Auth},
		ReasonCode:  code,
		Properties:  packets.Properties{AuthenticationMethod: "K8S-SAT", ReasonString: reason},
	})
}

func satConfig(srv probe.Server) probe.Config {
	return probe.Config{Server: srv, Credentials: probe.Credentials{AuthMethod: "K8S-SAT", AuthData: []byte("first.token.sig")}, KeepAlive: 60, Timeout: 5 * time.Second}
}

func TestReauth(t *testing.T) {
	var seen [][]byte
	tests := []struct {
		name   string
		answer func(cl *mqtt.Client, pk packets.Packet) error
		want   probe.ReauthResult
		code   *byte
		reason string
		v      probe.Verdict
	}{
		{"success", func(cl *mqtt.Client, pk packets.Packet) error {
			seen = append(seen, pk.Properties.AuthenticationData)
			return writeAuth(cl, 0x00, "")
		}, probe.ReauthSuccess, ptr[byte](0x00), "", probe.Pass},
		{"failed", func(*mqtt.Client, packets.Packet) error {
			return packets.Code{Code: 0x87, Reason: "token audience mismatch"}
		}, probe.ReauthFailed, ptr[byte](0x87), "token audience mismatch", probe.Fail},
		{"continue", func(cl *mqtt.Client, _ packets.Packet) error {
			return writeAuth(cl, 0x18, "auth server unreachable")
		}, probe.ReauthContinue, ptr[byte](0x18), "auth server unreachable", probe.NoVerdict},
		{"connection-lost", func(cl *mqtt.Client, _ packets.Packet) error {
			cl.Stop(errors.New("gone"))
			return nil
		}, probe.ReauthConnectionLost, nil, "", probe.NoVerdict},
		{"timeout", nil, probe.ReauthTimeout, nil, "", probe.NoVerdict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startMochi(t, &scripted{answer: tt.answer})
			cfg := satConfig(srv)
			if tt.want == probe.ReauthTimeout {
				cfg.Timeout = 2 * time.Second
			}
			r := run(t, cfg, probe.Steps{Reauth: true, ReauthData: []byte("second.token.sig")})
			wantOutcome(t, r, probe.Connected)
			a := r.Reauth
			if a == nil || a.Result != tt.want || a.ReasonString != tt.reason || !sameCode(a.Code, tt.code) {
				t.Fatalf("reauth %+v (code %v), want %s code %v reason %q", a, deref(a.Code), tt.want, deref(tt.code), tt.reason)
			}
			if v := r.Verdict(); v != tt.v {
				t.Errorf("verdict %v, want %v", v, tt.v)
			}
			// A refusal is the broker's DISCONNECT: how the connection
			// ended, every time.
			if d := r.Disconnect; tt.want == probe.ReauthFailed && (d == nil || d.By != probe.ByServer || !sameCode(d.Code, tt.code) || d.ReasonString != tt.reason) {
				t.Errorf("disconnect %+v, want by the server with 0x%02X %q", d, deref(tt.code), tt.reason)
			}
		})
	}
	if len(seen) != 1 || string(seen[0]) != "second.token.sig" {
		t.Errorf("the broker saw re-authentication data %q, want the new token", seen)
	}
}

func TestHold(t *testing.T) {
	t.Run("disconnect", func(t *testing.T) {
		srv := startMochi(t, &scripted{endAfter: 200 * time.Millisecond, endCode: 0x8E})
		r := run(t, satConfig(srv), probe.Steps{Hold: time.Minute})
		d := r.Disconnect
		if d == nil || d.By != probe.ByServer || d.Code == nil || *d.Code != 0x8E || d.ReasonString != "session taken over" || d.AfterMs < 100 || d.AfterMs > 30000 {
			t.Fatalf("disconnect %+v", d)
		}
		if r.Verdict() != probe.Fail {
			t.Errorf("verdict %v", r.Verdict())
		}
	})
	t.Run("close", func(t *testing.T) {
		srv := startMochi(t, &scripted{endAfter: 200 * time.Millisecond})
		r := run(t, satConfig(srv), probe.Steps{Hold: time.Minute})
		d := r.Disconnect
		if d == nil || d.By != probe.ByNetwork || d.Code != nil || d.Error == "" || d.AfterMs < 100 {
			t.Fatalf("disconnect %+v", d)
		}
	})
	t.Run("stays", func(t *testing.T) {
		srv := startMochi(t, &scripted{})
		r := run(t, satConfig(srv), probe.Steps{Hold: 300 * time.Millisecond})
		if r.Disconnect != nil || r.Verdict() != probe.Pass {
			t.Fatalf("disconnect %+v, verdict %v", r.Disconnect, r.Verdict())
		}
	})
	t.Run("reauth then close", func(t *testing.T) {
		// The broker grants the new token, then closes when it expires.
		srv := startMochi(t, &scripted{
			answer:   func(cl *mqtt.Client, _ packets.Packet) error { return writeAuth(cl, 0, "") },
			endAfter: 300 * time.Millisecond,
		})
		r := run(t, satConfig(srv), probe.Steps{Reauth: true, Hold: time.Minute})
		if r.Reauth == nil || r.Reauth.Result != probe.ReauthSuccess || r.Disconnect == nil || r.Disconnect.By != probe.ByNetwork {
			t.Fatalf("reauth %+v, disconnect %+v", r.Reauth, r.Disconnect)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func sameCode(a, b *byte) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *byte) any {
	if p == nil {
		return nil
	}
	return *p
}
