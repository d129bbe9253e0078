// The connect-rate runner (probe --count).
//
// FAST PATH. Rate writes CONNECT and reads CONNACK with paho's packets
// directly on each connection, where a single probe (Probe) runs a full paho
// client. Measured with BenchmarkRateAgainstPahoClient (`go test ./pkg/probe
// -run '^$' -bench RateAgainstPahoClient -benchtime 2000x -count 3`, 2-core
// machine shared with other builds, Go 1.26, mosquitto 2 on loopback, 8
// connections at a time): 10,300-11,800 connects/s against 2,200-2,800 for
// a paho client per connection, about 4 times as many, so that the figure
// measures the broker and not the client.

package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/packets"
)

// RateOptions shape a connect-rate run.
type RateOptions struct {
	// Count is how many connections to make, Concurrency how many at once.
	Count, Concurrency int
	// Hold keeps every connection that got in open this long after the
	// last connect, then closes them all: a way to put a known number of
	// idle connections on a broker.
	Hold time.Duration
}

// RateResult is what a connect-rate run measured; its JSON is probe
// --count's stable contract.
type RateResult struct {
	// Connects is how many connections were attempted; OK got CONNACK
	// 0x00, Refused a failure code.
	Connects int `json:"connects"`
	OK       int `json:"ok"`
	Refused  int `json:"refused"`
	// Errors counts the attempts that got no CONNACK, by outcome
	// (tls-rejected, no-connack, unreachable).
	Errors map[Outcome]int `json:"errors"`
	// ConnectsPerSec is attempts per second of the whole run.
	ConnectsPerSec float64 `json:"connectsPerSec"`
	// LatencyMs is from dialing to CONNACK, over the attempts that got
	// a CONNACK.
	LatencyMs Latency `json:"latencyMs"`
}

// Latency are percentiles of connect latency, in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Verdict is the worst verdict of the run's connections.
func (r *RateResult) Verdict() Verdict {
	v := Pass
	if r.Refused > 0 || r.Errors[TLSRejected] > 0 {
		v = Fail
	}
	if r.Errors[NoConnack] > 0 || r.Errors[Unreachable] > 0 {
		v = NoVerdict
	}
	return v
}

// Rate connects Count times, Concurrency at a time, each connection a full
// TCP (and TLS) connect, CONNECT and CONNACK, then DISCONNECT. It speaks
// MQTT with paho's packets directly rather than through a paho client, so
// that the client costs little next to the broker it measures. Each
// connection's client identifier is the configured one (or the random
// default) with "-N" appended. Interrupting ctx stops new connects.
func (p *Prober) Rate(ctx context.Context, o RateOptions) *RateResult {
	if p.tls != nil {
		// Every broker measured does the same key exchange: Go offers a
		// post-quantum hybrid first, which brokers on older TLS stacks
		// (mosquitto on OpenSSL 3.0) do not take, and which costs both
		// sides more. A rate run offers only the classical groups most
		// devices use.
		rp := *p
		rp.tls = p.tls.Clone()
		rp.tls.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
		p = &rp
	}
	n := max(o.Count, 0)
	workers := min(max(o.Concurrency, 1), max(n, 1))
	outcomes := make([]Outcome, n)
	latencies := make([]time.Duration, n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		heldMu   sync.Mutex
		held     []net.Conn
		attempts atomic.Int64
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Per worker: the CONNECT being written and a reader that
			// takes the CONNACK in one read rather than three.
			var buf bytes.Buffer
			br := bufio.NewReaderSize(nil, 512)
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				attempts.Add(1)
				out, d, conn := p.connectOnce(ctx, i, &buf, br)
				outcomes[i], latencies[i] = out, d
				switch {
				case conn == nil:
				case o.Hold > 0:
					heldMu.Lock()
					held = append(held, conn)
					heldMu.Unlock()
				default:
					p.hangUp(conn)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	r := &RateResult{Connects: int(attempts.Load()), Errors: map[Outcome]int{}}
	var got []time.Duration
	for i, out := range outcomes {
		switch out {
		case "":
			continue // not attempted
		case Connected:
			r.OK++
		case Refused:
			r.Refused++
		default:
			r.Errors[out]++
			continue
		}
		got = append(got, latencies[i])
	}
	if s := elapsed.Seconds(); s > 0 {
		r.ConnectsPerSec = math.Round(float64(r.Connects)/s*10) / 10
	}
	r.LatencyMs = percentiles(got)

	if len(held) > 0 {
		t := time.NewTimer(o.Hold)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		var closing sync.WaitGroup
		for _, c := range held {
			closing.Add(1)
			go func() {
				defer closing.Done()
				p.hangUp(c)
			}()
		}
		closing.Wait()
	}
	return r
}

func percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		// Nearest rank: the smallest value with at least q of the
		// values at or below it.
		i := int(math.Ceil(q*float64(len(d)))) - 1
		return ms(d[max(i, 0)])
	}
	return Latency{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(d[len(d)-1])}
}

// connectOnce makes connection i and returns its outcome, its latency
// (dial to CONNACK) and, when it got in, the open connection.
func (p *Prober) connectOnce(ctx context.Context, i int, buf *bytes.Buffer, br *bufio.Reader) (Outcome, time.Duration, net.Conn) {
	start := time.Now()
	var h handshake
	var dial, hs time.Duration
	conn, err := p.open(ctx, &h, &dial, &hs)
	if err != nil {
		return outcomeOf(err), 0, nil
	}
	_ = conn.SetDeadline(time.Now().Add(p.cfg.Timeout))
	buf.Reset()
	p.rateConnect(i).WriteTo(buf)
	if _, err := conn.Write(buf.Bytes()); err != nil {
		err = pendingAlert(conn, err, p.cfg.Timeout)
		conn.Close()
		return outcomeOf(p.connectFailure(err, h.certSent)), 0, nil
	}
	br.Reset(conn)
	code, err := p.readConnack(br, conn)
	d := time.Since(start)
	if err != nil {
		conn.Close()
		return outcomeOf(p.connectFailure(err, h.certSent)), 0, nil
	}
	if code != 0 {
		conn.Close()
		return Refused, d, nil
	}
	_ = conn.SetDeadline(time.Time{})
	return Connected, d, conn
}

func (p *Prober) rateConnect(i int) *packets.Connect {
	c := p.cfg.Credentials
	cp := &packets.Connect{
		ProtocolName:    "MQTT",
		ProtocolVersion: 5,
		CleanStart:      true,
		KeepAlive:       p.cfg.KeepAlive,
		ClientID:        p.cfg.ClientID + "-" + strconv.Itoa(i+1),
		Properties:      &packets.Properties{AuthMethod: c.AuthMethod, AuthData: c.AuthData},
	}
	if c.Username != "" {
		cp.UsernameFlag, cp.Username = true, c.Username
	}
	if c.Password != nil {
		cp.PasswordFlag, cp.Password = true, c.Password
	}
	return cp
}

// readConnack reads packets up to the CONNACK, answering AUTH 0x18 as the
// single probe does.
func (p *Prober) readConnack(r io.Reader, conn net.Conn) (uint8, error) {
	for range 8 {
		cp, err := packets.ReadPacket(r)
		if err != nil {
			return 0, err
		}
		switch pk := cp.Content.(type) {
		case *packets.Connack:
			return pk.ReasonCode, nil
		case *packets.Auth:
			c := p.cfg.Credentials
			reply := &packets.Auth{ReasonCode: packets.AuthContinueAuthentication, Properties: &packets.Properties{AuthMethod: c.AuthMethod, AuthData: c.AuthData}}
			if _, err := reply.WriteTo(conn); err != nil {
				return 0, err
			}
		default:
			return 0, errors.New("the server sent packet type " + strconv.Itoa(int(cp.Type)) + " before CONNACK")
		}
	}
	return 0, errors.New("the server asked to continue authentication 8 times without a CONNACK")
}

// disconnectPacket is DISCONNECT with reason 0x00 and no properties.
var disconnectPacket = []byte{packets.DISCONNECT << 4, 0}

// hangUp sends DISCONNECT and waits (briefly) for the broker to close
// first, so that the closed connection waits out TIME_WAIT on the broker's
// side and a long run does not use up the client's ephemeral ports.
func (p *Prober) hangUp(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(min(p.cfg.Timeout, 2*time.Second)))
	if _, err := conn.Write(disconnectPacket); err == nil {
		var b [64]byte
		for {
			if _, err := conn.Read(b[:]); err != nil {
				break
			}
		}
	}
	conn.Close()
}

func outcomeOf(err error) Outcome {
	var f *failure
	if errors.As(err, &f) {
		return f.outcome
	}
	return NoConnack
}
