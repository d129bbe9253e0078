package probe

import (
	"bytes"
	"net"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/packets"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
)

// recordMax bounds what the recorder keeps: a CONNACK with properties is a
// few hundred bytes.
const recordMax = 1 << 20

// recorder keeps the bytes read from a connection until stopped, so that
// the CONNACK can be decoded as it was on the wire.
type recorder struct {
	net.Conn
	timeout time.Duration
	mu      sync.Mutex
	on      bool
	buf     []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.mu.Lock()
		if r.on && len(r.buf)+n <= recordMax {
			r.buf = append(r.buf, p[:n]...)
		}
		r.mu.Unlock()
	}
	return n, err
}

// Write returns the server's TLS alert instead of the reset a write drew,
// while the CONNACK is awaited (nothing else reads then).
func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	if err != nil {
		r.mu.Lock()
		on := r.on
		r.mu.Unlock()
		if on {
			err = pendingAlert(r.Conn, err, r.timeout)
		}
	}
	return n, err
}

func (r *recorder) stop() {
	r.mu.Lock()
	r.on = false
	r.mu.Unlock()
}

// connack decodes the first CONNACK among the recorded packets (AUTH
// packets may come first), or returns nil.
func (r *recorder) connack() *packets.Connack {
	r.mu.Lock()
	data := r.buf
	r.mu.Unlock()
	return firstConnack(data)
}

func firstConnack(data []byte) *packets.Connack {
	// An MQTT 3.1.1 CONNACK has no properties, which MQTT 5 decoding
	// rejects; brokers that do not speak MQTT 5 answer with one (0x01,
	// unacceptable protocol version).
	if len(data) >= 4 && data[0] == packets.CONNACK<<4 && data[1] == 2 {
		return &packets.Connack{SessionPresent: data[2]&1 == 1, ReasonCode: data[3], Properties: nil}
	}
	rd := bytes.NewReader(data)
	for {
		cp, err := packets.ReadPacket(rd)
		if err != nil {
			return nil
		}
		if ca, ok := cp.Content.(*packets.Connack); ok {
			return ca
		}
	}
}

// mqtt311Names are the CONNACK return codes of MQTT 3.1.1 §3.2.2.3.
var mqtt311Names = map[uint8]string{
	0x01: "Connection Refused, unacceptable protocol version",
	0x02: "Connection Refused, identifier rejected",
	0x03: "Connection Refused, Server unavailable",
	0x04: "Connection Refused, bad user name or password",
	0x05: "Connection Refused, not authorized",
}

// connackFromWire reports a decoded CONNACK: the properties the packet
// held and nothing else. A CONNACK without properties is MQTT 3.1.1's.
func connackFromWire(ca *packets.Connack) *Connack {
	out := &Connack{Code: ca.ReasonCode, SessionPresent: ca.SessionPresent}
	p := ca.Properties
	if p == nil {
		out.Name = mqtt311Names[ca.ReasonCode] + " (an MQTT 3.1.1 CONNACK: the broker does not speak MQTT 5 here)"
		return out
	}
	out.Name = authn.ConnackFor(ca.ReasonCode).Name
	out.ReasonString = p.ReasonString
	props := &out.Properties
	props.SessionExpiryInterval = p.SessionExpiryInterval
	props.ReceiveMaximum = p.ReceiveMaximum
	props.MaximumQoS = p.MaximumQOS
	props.RetainAvailable = flag(p.RetainAvailable)
	props.MaximumPacketSize = p.MaximumPacketSize
	props.AssignedClientIdentifier = nonEmpty(p.AssignedClientID)
	props.TopicAliasMaximum = p.TopicAliasMaximum
	props.WildcardSubscriptionAvailable = flag(p.WildcardSubAvailable)
	props.SubscriptionIdentifiersAvailable = flag(p.SubIDAvailable)
	props.SharedSubscriptionAvailable = flag(p.SharedSubAvailable)
	props.ServerKeepAlive = p.ServerKeepAlive
	props.ResponseInformation = nonEmpty(p.ResponseInfo)
	props.ServerReference = nonEmpty(p.ServerReference)
	props.AuthenticationMethod = nonEmpty(p.AuthMethod)
	if p.AuthData != nil {
		n := len(p.AuthData)
		props.AuthenticationDataBytes = &n
	}
	for _, u := range p.User {
		props.UserProperties = append(props.UserProperties, UserProperty{Key: u.Key, Value: u.Value})
	}
	return out
}

func flag(b *byte) *bool {
	if b == nil {
		return nil
	}
	v := *b == 1
	return &v
}

// nonEmpty reports a string property. paho decodes an absent string
// property and an empty one alike; an empty one says nothing anyway.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
