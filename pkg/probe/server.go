package probe

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Server is where a probe connects: a host and port, over TLS or plain TCP.
type Server struct {
	Host string
	Port int
	TLS  bool
}

// Address is HOST:PORT, for dialing.
func (s Server) Address() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// String is the server as the user writes it: mqtts://HOST:PORT.
func (s Server) String() string {
	scheme := "mqtt"
	if s.TLS {
		scheme = "mqtts"
	}
	return scheme + "://" + s.Address()
}

// The MQTT ports of the IANA registry, used when a server names none.
const (
	DefaultPort    = 1883
	DefaultTLSPort = 8883
)

// ParseServer reads mqtt://HOST[:PORT] (plain TCP) or mqtts://HOST[:PORT]
// (TLS). Without a port, MQTT's registered ports apply: 1883 and 8883.
func ParseServer(s string) (Server, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Server{}, fmt.Errorf("%q has no scheme: write mqtts://HOST:PORT for TLS or mqtt://HOST:PORT for plain TCP", s)
	}
	var srv Server
	switch strings.ToLower(scheme) {
	case "mqtts":
		srv.TLS, srv.Port = true, DefaultTLSPort
	case "mqtt":
		srv.Port = DefaultPort
	default:
		return Server{}, fmt.Errorf("%q: unknown scheme %q: write mqtts://HOST:PORT for TLS or mqtt://HOST:PORT for plain TCP", s, scheme)
	}
	u, err := url.Parse("//" + rest)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, fmt.Errorf("%q: want %s://HOST:PORT and nothing else", s, strings.ToLower(scheme))
	}
	srv.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Server{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, p)
		}
		srv.Port = n
	}
	if srv.Host == "" {
		return Server{}, fmt.Errorf("%q has no host: write %s://HOST:PORT", s, strings.ToLower(scheme))
	}
	return srv, nil
}
