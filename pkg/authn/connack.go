package authn

import (
	"fmt"
	"strconv"
)

// Connack is the reason code of the CONNACK the broker sends.
type Connack struct {
	Code uint8  `json:"code"`
	Name string `json:"name"`
}

// Hex is the code written the way the MQTT specification writes it: 0x87.
func (c Connack) Hex() string { return fmt.Sprintf("0x%02X", c.Code) }

// The CONNACK codes the engine itself chooses; the broker's documentation
// names none beyond a custom server's reason (docs/assumptions.md:
// denial-is-0x87, unknown-method-is-0x8c).
const (
	CodeSuccess                 uint8 = 0x00
	CodeNotAuthorized           uint8 = 0x87
	CodeBadAuthenticationMethod uint8 = 0x8C
)

// connackNames are the CONNACK reason codes of MQTT 5.0 §3.2.2.2, the codes
// a custom auth server may put in "reason".
var connackNames = map[uint8]string{
	0x00: "Success",
	0x80: "Unspecified error",
	0x81: "Malformed Packet",
	0x82: "Protocol Error",
	0x83: "Implementation specific error",
	0x84: "Unsupported Protocol Version",
	0x85: "Client Identifier not valid",
	0x86: "Bad User Name or Password",
	0x87: "Not authorized",
	0x88: "Server unavailable",
	0x89: "Server busy",
	0x8A: "Banned",
	0x8C: "Bad authentication method",
	0x90: "Topic Name invalid",
	0x95: "Packet too large",
	0x97: "Quota exceeded",
	0x99: "Payload format invalid",
	0x9A: "Retain not supported",
	0x9B: "QoS not supported",
	0x9C: "Use another server",
	0x9D: "Server moved",
	0x9F: "Connection rate exceeded",
}

// IsConnackFailure reports whether code is a CONNACK reason code that
// refuses a connection.
func IsConnackFailure(code uint8) bool {
	_, ok := connackNames[code]
	return ok && code >= 0x80
}

// ConnackFor returns the CONNACK of reason code code, named as MQTT 5.0
// names it ("unknown reason code" for a code the specification does not
// define), for what a live broker answered.
func ConnackFor(code uint8) *Connack { return connack(code) }

func connack(code uint8) *Connack {
	name, ok := connackNames[code]
	if !ok {
		name = "unknown reason code"
	}
	return &Connack{Code: code, Name: name}
}

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }
