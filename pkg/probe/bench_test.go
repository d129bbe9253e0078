package probe_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
)

// The connect-rate runner against mosquitto on this machine, 8 connections
// at a time: ns/op is the wall time per connect of client and broker
// together, connects/s the runner's own figure.
//
//	go test ./pkg/probe -run '^$' -bench Rate -benchtime 5000x

func BenchmarkRatePassword(b *testing.B) {
	m := passwordMosquitto(b)
	benchRate(b, probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("wonderland")}, KeepAlive: 60})
}

func BenchmarkRateClientCertificate(b *testing.B) {
	dir := chainDir(b)
	m := certMosquitto(b, dir, "tlsv1.2")
	benchRate(b, probe.Config{
		Server:      secure(m),
		RootCAs:     caPool(b, filepath.Join(dir, pki.ChainFile)),
		Credentials: probe.Credentials{Certificate: clientCert(b, filepath.Join(dir, "thermostat_key.pem"), filepath.Join(dir, "thermostat_cert.pem"), filepath.Join(dir, pki.IntermediateCertFile))},
		KeepAlive:   60,
	})
}

func benchRate(b *testing.B, cfg probe.Config) {
	p, err := probe.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	r := p.Rate(context.Background(), probe.RateOptions{Count: b.N, Concurrency: 8})
	b.StopTimer()
	if r.OK != b.N {
		b.Fatalf("%+v", r)
	}
	b.ReportMetric(r.ConnectsPerSec, "connects/s")
	b.ReportMetric(r.LatencyMs.P99, "p99-ms")
}
