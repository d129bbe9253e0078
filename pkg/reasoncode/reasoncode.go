// Package reasoncode names the reason codes of MQTT 5.0 (§2.4), packet by
// packet: the same code means different things in a CONNACK, a SUBACK or a
// DISCONNECT, and some codes are defined for one packet only. The CONNACK
// codes are the engine's (pkg/authn); the others are here, for the client
// that reports what a broker sent (probe) and the broker that sends them
// (serve broker).
package reasoncode

import "github.com/aio-authn/kubectl-aio-authn/pkg/authn"

// The packets whose reason codes Name names.
const (
	Connack    = "CONNACK"
	Suback     = "SUBACK"
	Puback     = "PUBACK"
	Auth       = "AUTH"
	Disconnect = "DISCONNECT"
)

// reasonNames are the reason codes of MQTT 5.0 §2.4 that differ from
// CONNACK's, by packet.
var reasonNames = map[string]map[uint8]string{
	Suback: {
		0x00: "Granted QoS 0", 0x01: "Granted QoS 1", 0x02: "Granted QoS 2",
		0x80: "Unspecified error", 0x83: "Implementation specific error", 0x87: "Not authorized",
		0x8F: "Topic Filter invalid", 0x91: "Packet Identifier in use", 0x97: "Quota exceeded",
		0x9E: "Shared Subscriptions not supported", 0xA1: "Subscription Identifiers not supported",
		0xA2: "Wildcard Subscriptions not supported",
	},
	Puback: {
		0x00: "Success", 0x10: "No matching subscribers", 0x80: "Unspecified error",
		0x83: "Implementation specific error", 0x87: "Not authorized", 0x90: "Topic Name invalid",
		0x91: "Packet Identifier in use", 0x97: "Quota exceeded", 0x99: "Payload format invalid",
	},
	Auth: {
		0x00: "Success", 0x18: "Continue authentication", 0x19: "Re-authenticate",
	},
	Disconnect: {
		0x00: "Normal disconnection", 0x04: "Disconnect with Will Message", 0x80: "Unspecified error",
		0x81: "Malformed Packet", 0x82: "Protocol Error", 0x83: "Implementation specific error",
		0x87: "Not authorized", 0x89: "Server busy", 0x8B: "Server shutting down",
		0x8D: "Keep Alive timeout", 0x8E: "Session taken over", 0x8F: "Topic Filter invalid",
		0x90: "Topic Name invalid", 0x93: "Receive Maximum exceeded", 0x94: "Topic Alias invalid",
		0x95: "Packet too large", 0x96: "Message rate too high", 0x97: "Quota exceeded",
		0x98: "Administrative action", 0x99: "Payload format invalid", 0x9A: "Retain not supported",
		0x9B: "QoS not supported", 0x9C: "Use another server", 0x9D: "Server moved",
		0x9E: "Shared Subscriptions not supported", 0x9F: "Connection rate exceeded",
		0xA0: "Maximum connect time", 0xA1: "Subscription Identifiers not supported",
		0xA2: "Wildcard Subscriptions not supported",
	},
}

// Name names reason code code of a packet as MQTT 5.0 does, "unknown
// reason code" for one it does not define for that packet.
func Name(packet string, code uint8) string {
	if packet == Connack {
		return authn.ConnackFor(code).Name
	}
	if name, ok := reasonNames[packet][code]; ok {
		return name
	}
	return "unknown reason code"
}

// Defined reports whether MQTT 5.0 defines code for a packet other than
// CONNACK: a code another packet carries (a custom auth server's CONNACK
// reason, say) may not be sent in it.
func Defined(packet string, code uint8) bool {
	_, ok := reasonNames[packet][code]
	return ok
}
