package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// listener is one port of the BrokerListener, as a mochi listener. It does
// what mochi's own TCP listener leaves undone: the TLS handshake and the
// CONNECT must arrive within a bound (mochi waits forever for a client that
// says nothing), the handshake happens before mochi sees the connection (so
// the peer chain is there when the CONNECT is judged), and closing the
// listener also closes connections that have not sent CONNECT yet.
type listener struct {
	id      string
	address string
	tls     *tls.Config
	// connectTimeout bounds the TLS handshake and the CONNECT; mochi
	// replaces the deadline after CONNECT with the keepalive's.
	connectTimeout time.Duration
	// ended is told when a connection handed to mochi is over.
	ended func(net.Conn)

	ln     net.Listener
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

var _ listeners.Listener = (*listener)(nil)

// ID is the port number as text: the key the hook finds the port by.
func (l *listener) ID() string { return l.id }

// Address is where the port listens; after Init, the bound address (with
// the port the system chose, for port 0).
func (l *listener) Address() string {
	if l.ln != nil {
		return l.ln.Addr().String()
	}
	return l.address
}

// Protocol is "tcp" or "tls".
func (l *listener) Protocol() string {
	if l.tls != nil {
		return "tls"
	}
	return "tcp"
}

// Init binds the port.
func (l *listener) Init(*slog.Logger) error {
	ln, err := net.Listen("tcp", l.address)
	if err != nil {
		return err
	}
	l.ln = ln
	l.conns = map[net.Conn]struct{}{}
	return nil
}

// Serve accepts connections until the listener closes.
func (l *listener) Serve(establish listeners.EstablishFn) {
	delay := 5 * time.Millisecond
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, as
			// net/http does, rather than spin or give up.
			time.Sleep(delay)
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if !l.track(c) {
			c.Close()
			return
		}
		go l.handle(c, establish)
	}
}

func (l *listener) handle(c net.Conn, establish listeners.EstablishFn) {
	defer l.untrack(c)
	deadline := time.Now().Add(l.connectTimeout)
	_ = c.SetDeadline(deadline)
	conn := c
	if l.tls != nil {
		tc := tls.Server(c, l.tls)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			// A client that does not trust the server, speaks plain
			// MQTT to a TLS port, or says nothing: no MQTT session began.
			c.Close()
			return
		}
		conn = tc
	}
	_ = establish(l.id, conn)
	conn.Close()
	if l.ended != nil {
		l.ended(conn)
	}
}

func (l *listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *listener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// Close stops accepting, lets mochi disconnect its clients (DISCONNECT
// 0x8B Server shutting down), then closes what is left: connections still
// in the handshake or before CONNECT.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	if l.ln != nil {
		l.ln.Close()
	}
	closeClients(l.id)
	l.mu.Lock()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
}
