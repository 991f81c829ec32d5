// Command goplugin_host drives a KV plugin (proto/kv/kv.proto) through the REAL
// go-plugin host library (Debian 12: go-plugin 1.0.1, grpc-go 1.33) and checks
// every step of the plugin lifecycle. It is the proof that a plugin written with
// rpcplugin works with go-plugin hosts; it is validated against the Go reference
// plugin (test/goplugin/plugin).
//
// Usage:
//
//	goplugin_host -plugin PATH [-automtls] [-args "A B"] [-v] [-timeout 90s]
//	              [-kill-limit 2s] [-skip-direct] [-reattach] [-- ARGS...]
//
// With -reattach the steps of reattach.go (debug mode) run instead of those below.
//
// Steps (each prints "PASS step (details)" or "FAIL step: reason"):
//
//	Direct checks (this program plays the host by hand, to see what go-plugin hides):
//	  handshake-line   spawn with go-plugin's environment; the first stdout line
//	                   is exactly 1|1|unix|<abs path>|grpc|<field 6> ("\n"-terminated,
//	                   no 7th field); field 6 empty without AutoMTLS, else unpadded
//	                   std base64 of a DER cert with SAN localhost and EKU
//	                   serverAuth+clientAuth
//	  direct-shutdown  Health.Check("plugin") over the (m)TLS connection, then
//	                   plugin.GRPCController/Shutdown: exit status 0 within
//	                   -kill-limit, socket file removed, nothing more on stdout
//	Through go-plugin (plugin.NewClient, AllowedProtocols grpc, Handshake from kvplugin):
//	  start            handshake parsed and connection made by go-plugin
//	  dispense         Dispense("kv")
//	  mtls-peer        (-automtls) TLS to the plugin: ALPN h2, peer cert SAN localhost
//	  mtls-rejects-plaintext / -no-client-cert / -wrong-client-cert   (-automtls)
//	  plaintext        (no -automtls) a plaintext gRPC connection is served
//	  put-get          Put/Get, overwrite, binary value, NOT_FOUND for a missing key
//	  broker-host-to-plugin   host AcceptAndServe(kv.Helper) + Put(add_server=id):
//	                   the plugin Dials back and calls Helper.Sum
//	  broker-invalid   Put(add_server) with non-decimal values: INVALID_ARGUMENT
//	  broker-plugin-to-host   StartCounter: the plugin AcceptAndServes kv.Counter,
//	                   the host Dials it and calls Add
//	  ping             client.Ping(), Health.Check "plugin"/"" SERVING, unknown NOT_FOUND
//	  kill             client.Kill() returns within -kill-limit, the process is gone
//	                   (reaped, no zombie), exit status 0 (from go-plugin's "plugin
//	                   process exited" log entry), and every Unix socket the plugin
//	                   was listening on (main + broker, read from /proc) is removed
//
// Prints "N passed, N failed"; exit status 0 only if every step passed. Every wait
// is bounded; a watchdog (-timeout) kills the plugin and fails the run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	emptypb "github.com/golang/protobuf/ptypes/empty"
	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	kvpb "goplugin/kvpb"
	"goplugin/kvplugin"
)

var (
	flagPlugin     = flag.String("plugin", "", "plugin executable (required)")
	flagAutoMTLS   = flag.Bool("automtls", false, "enable go-plugin AutoMTLS")
	flagArgs       = flag.String("args", "", "arguments for the plugin, split on whitespace (appended before any after --)")
	flagVerbose    = flag.Bool("v", false, "copy go-plugin's log and the plugin's stderr to stderr as they arrive")
	flagTimeout    = flag.Duration("timeout", 90*time.Second, "watchdog: fail and kill the plugin after this long")
	flagKillLimit  = flag.Duration("kill-limit", 2*time.Second, "the plugin must have exited this long after Kill/Shutdown")
	flagSkipDirect = flag.Bool("skip-direct", false, "skip the direct handshake-line/direct-shutdown checks")
	flagReattach   = flag.Bool("reattach", false, "debug mode instead: start the plugin with -args (default --debug) and no cookie, reattach to it (reattach.go)")
)

const (
	startTimeout = 20 * time.Second // handshake line (go-plugin StartTimeout and direct check)
	rpcTimeout   = 10 * time.Second // any single RPC
	rejectWait   = 3 * time.Second  // how long a connection that must be rejected may take
	killWait     = 10 * time.Second // hard bound on client.Kill()
)

// ---------------------------------------------------------------------------
// Reporting, logging, watchdog

type reporter struct {
	mu             sync.Mutex
	passed, failed int
}

func (r *reporter) pass(step, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.passed++
	if detail != "" {
		fmt.Printf("PASS %s (%s)\n", step, detail)
	} else {
		fmt.Printf("PASS %s\n", step)
	}
}

func (r *reporter) fail(step string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	fmt.Printf("FAIL %s: %s\n", step, strings.ReplaceAll(err.Error(), "\n", " | "))
}

// step runs fn and reports it; it returns whether it passed.
func (r *reporter) step(name string, fn func() (string, error)) bool {
	detail, err := fn()
	if err != nil {
		r.fail(name, err)
		return false
	}
	r.pass(name, detail)
	return true
}

func (r *reporter) summary() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 || r.passed == 0 {
		return 1
	}
	return 0
}

// logSink receives go-plugin's hclog JSON output (which includes the plugin's
// stderr lines) and the direct check's plugin stderr. It keeps a tail for failure
// reports and watches for go-plugin's "plugin process exited" entry, the only
// place where go-plugin 1.0.1 reveals the plugin's exit status.
type logSink struct {
	mu       sync.Mutex
	partial  []byte
	tail     []string
	exitSeen bool
	exitErr  string // "" = exit status 0
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.lineLocked(string(s.partial[:i]))
		s.partial = s.partial[i+1:]
	}
	return len(p), nil
}

func (s *logSink) line(l string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lineLocked(l)
}

func (s *logSink) lineLocked(l string) {
	if *flagVerbose {
		fmt.Fprintln(os.Stderr, l)
	}
	s.tail = append(s.tail, l)
	if len(s.tail) > 60 {
		s.tail = s.tail[len(s.tail)-60:]
	}
	var m map[string]interface{}
	if json.Unmarshal([]byte(l), &m) == nil && m["@message"] == "plugin process exited" {
		s.exitSeen = true
		s.exitErr, _ = m["error"].(string)
	}
}

func (s *logSink) exitInfo() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitSeen, s.exitErr
}

func (s *logSink) dumpTail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *flagVerbose || len(s.tail) == 0 {
		return
	}
	fmt.Fprintln(os.Stderr, "--- last log lines (go-plugin host log and plugin stderr; -v shows all) ---")
	for _, l := range s.tail {
		fmt.Fprintln(os.Stderr, l)
	}
}

// Plugin processes this program started; the watchdog and signal handler kill them.
var (
	pidsMu sync.Mutex
	pids   = map[int]bool{}
)

func trackPid(pid int, live bool) {
	pidsMu.Lock()
	defer pidsMu.Unlock()
	if live {
		pids[pid] = true
	} else {
		delete(pids, pid)
	}
}

func killTracked() {
	pidsMu.Lock()
	defer pidsMu.Unlock()
	for pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// withTimeout runs fn in a goroutine and gives up waiting after d (fn keeps
// running; callers only use it for calls that cannot take a context). A panic in
// fn is returned as an error.
func withTimeout(d time.Duration, what string, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- fmt.Errorf("%s panicked: %v", what, r)
			}
		}()
		ch <- fn()
	}()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		return fmt.Errorf("%s did not return within %v", what, d)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// ---------------------------------------------------------------------------
// main

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s -plugin PATH [-automtls] [-args \"A B\"] [flags] [-- ARGS...]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *flagPlugin == "" {
		flag.Usage()
		os.Exit(2)
	}
	pluginPath, err := filepath.Abs(*flagPlugin)
	if err == nil {
		_, err = os.Stat(pluginPath)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "goplugin_host: plugin %q: %v\n", *flagPlugin, err)
		os.Exit(2)
	}
	pluginArgs := append(strings.Fields(*flagArgs), flag.Args()...)

	rep := &reporter{}
	sink := &logSink{}

	finish := func(code int) {
		if code != 0 {
			sink.dumpTail()
		}
		os.Exit(code)
	}
	time.AfterFunc(*flagTimeout, func() {
		killTracked()
		rep.fail("watchdog", fmt.Errorf("the run did not finish within %v; plugin processes killed", *flagTimeout))
		rep.summary()
		finish(1)
	})
	sigCh := make(chan os.Signal, 1)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigCh
		killTracked()
		rep.fail("interrupted", fmt.Errorf("received %v; plugin processes killed", s))
		rep.summary()
		finish(1)
	}()

	mode := "off"
	if *flagAutoMTLS {
		mode = "on"
	}
	fmt.Printf("# go-plugin 1.0.1 host: plugin %s, AutoMTLS %s, cookie %s=%s, app version %d\n",
		pluginPath, mode, kvplugin.MagicCookieKey, kvplugin.MagicCookieValue, kvplugin.ProtocolVersion)

	if *flagReattach {
		reattachChecks(rep, sink, pluginPath, pluginArgs)
		finish(rep.summary())
	}
	if !*flagSkipDirect {
		directChecks(rep, sink, pluginPath, pluginArgs)
	}
	goPluginChecks(rep, sink, pluginPath, pluginArgs)
	finish(rep.summary())
}

// ---------------------------------------------------------------------------
// Direct checks: the handshake line and Controller.Shutdown, done by hand.

func directChecks(rep *reporter, sink *logSink, path string, args []string) {
	var hostCert tls.Certificate
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLUGIN_") && !strings.HasPrefix(kv, kvplugin.MagicCookieKey+"=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		kvplugin.MagicCookieKey+"="+kvplugin.MagicCookieValue,
		"PLUGIN_MIN_PORT=10000",
		"PLUGIN_MAX_PORT=25000",
		fmt.Sprintf("PLUGIN_PROTOCOL_VERSIONS=%d", kvplugin.ProtocolVersion))
	if *flagAutoMTLS {
		certPEM, keyPEM, err := makeCert(elliptic.P521())
		if err == nil {
			hostCert, err = tls.X509KeyPair(certPEM, keyPEM)
		}
		if err != nil {
			rep.fail("handshake-line", fmt.Errorf("cannot make the host certificate: %v", err))
			return
		}
		env = append(env, "PLUGIN_CLIENT_CERT="+string(certPEM))
	}

	outR, outW, err1 := os.Pipe()
	errR, errW, err2 := os.Pipe()
	if err1 != nil || err2 != nil {
		rep.fail("handshake-line", fmt.Errorf("pipe: %v %v", err1, err2))
		return
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdin = nil
	cmd.Stdout = outW
	cmd.Stderr = errW
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		rep.fail("handshake-line", fmt.Errorf("cannot start the plugin: %v", err))
		return
	}
	outW.Close()
	errW.Close()
	pid := cmd.Process.Pid
	trackPid(pid, true)

	exitCh := make(chan *os.ProcessState, 1)
	go func() {
		cmd.Wait()
		trackPid(pid, false)
		exitCh <- cmd.ProcessState
	}()
	go func() {
		sc := bufio.NewScanner(errR)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			sink.line("[direct plugin stderr] " + sc.Text())
		}
		errR.Close()
	}()
	// stdout: the first line, then count whatever else arrives until EOF.
	lineCh := make(chan string, 1)
	restCh := make(chan int, 1)
	go func() {
		br := bufio.NewReader(outR)
		l, err := br.ReadString('\n')
		if err != nil {
			l += "<EOF: " + err.Error() + ">"
		}
		lineCh <- l
		n, _ := io.Copy(ioutil.Discard, br)
		outR.Close()
		restCh <- int(n)
	}()

	var exited *os.ProcessState
	kill := func() {
		syscall.Kill(pid, syscall.SIGKILL)
		if exited == nil {
			select {
			case exited = <-exitCh:
			case <-time.After(5 * time.Second):
			}
		}
	}

	var line string
	select {
	case line = <-lineCh:
	case exited = <-exitCh:
		select { // the line may still be in flight
		case line = <-lineCh:
		case <-time.After(500 * time.Millisecond):
			line = "<nothing>"
		}
	case <-time.After(startTimeout):
		rep.fail("handshake-line", fmt.Errorf("no handshake line within %v", startTimeout))
		kill()
		return
	}
	handshakeTime := time.Since(t0)

	hs, err := checkHandshakeLine(line, *flagAutoMTLS)
	if err == nil && exited != nil {
		err = fmt.Errorf("plugin exited (%v) right after printing %q", exited, line)
	}
	if err != nil {
		rep.fail("handshake-line", err)
		kill()
		if hs != nil && hs.network == "unix" {
			os.Remove(hs.address)
		}
		return
	}
	rep.pass("handshake-line", fmt.Sprintf("%s, after %s", hs.summary, ms(handshakeTime)))

	rep.step("direct-shutdown", func() (string, error) {
		var notes []string
		fail := func(err error) (string, error) {
			kill()
			if hs.network == "unix" {
				os.Remove(hs.address)
			}
			return "", err
		}

		var creds credentials.TransportCredentials
		if *flagAutoMTLS {
			roots := x509.NewCertPool()
			roots.AddCert(hs.cert)
			creds = credentials.NewTLS(&tls.Config{
				Certificates: []tls.Certificate{hostCert},
				RootCAs:      roots,
				ServerName:   "localhost",
			})
		}
		conn, err := dialPlugin(hs.network, hs.address, creds)
		if err != nil {
			return fail(fmt.Errorf("dial: %v", err))
		}
		defer conn.Close()

		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: plugin.GRPCServiceName})
		cancel()
		if err != nil {
			return fail(fmt.Errorf("Health.Check(%q): %v", plugin.GRPCServiceName, err))
		}
		notes = append(notes, "health "+resp.Status.String())

		tShut := time.Now()
		ctx, cancel = context.WithTimeout(context.Background(), rpcTimeout)
		err = conn.Invoke(ctx, "/plugin.GRPCController/Shutdown", &emptypb.Empty{}, &emptypb.Empty{})
		cancel()
		if err != nil {
			// go-plugin ignores the result; a Go plugin stops its server inside
			// the handler, so the call usually fails with Unavailable.
			notes = append(notes, "Shutdown RPC: "+status.Code(err).String()+" (ignored, as go-plugin does)")
		} else {
			notes = append(notes, "Shutdown RPC: OK")
		}
		if exited == nil {
			select {
			case exited = <-exitCh:
			case <-time.After(*flagKillLimit - time.Since(tShut)):
				return fail(fmt.Errorf("still running %v after Controller.Shutdown (%s)", *flagKillLimit, strings.Join(notes, ", ")))
			}
		}
		exitAfter := time.Since(tShut)
		if !exited.Success() {
			return fail(fmt.Errorf("exit after Shutdown was %v, want exit status 0", exited))
		}
		notes = append(notes, "exit 0 after "+ms(exitAfter))
		if hs.network == "unix" {
			if _, err := os.Lstat(hs.address); err == nil {
				os.Remove(hs.address)
				return "", fmt.Errorf("socket file %s left behind after exit", hs.address)
			}
		}
		select {
		case n := <-restCh:
			if n > 0 {
				return "", fmt.Errorf("plugin wrote %d more bytes to stdout after the handshake line", n)
			}
		case <-time.After(2 * time.Second):
			return "", errors.New("plugin stdout still open 2 s after exit (a child process holds it?)")
		}
		notes = append(notes, "socket removed, stdout clean")
		return strings.Join(notes, ", "), nil
	})
}

type handshake struct {
	network, address string
	cert             *x509.Certificate // AutoMTLS only
	summary          string
}

// checkHandshakeLine validates the plugin's first stdout line against the spec
// (stricter than go-plugin 1.0.1, which trims whitespace and ignores short field 6).
func checkHandshakeLine(line string, mtls bool) (*handshake, error) {
	if !strings.HasSuffix(line, "\n") {
		return nil, fmt.Errorf("stdout ended without a complete handshake line: %q", line)
	}
	body := strings.TrimSuffix(line, "\n")
	if body != strings.TrimSpace(body) {
		return nil, fmt.Errorf("handshake line has surrounding whitespace (e.g. \\r): %q", line)
	}
	parts := strings.Split(body, "|")
	switch {
	case len(parts) == 7:
		return nil, fmt.Errorf("7th field printed although PLUGIN_MULTIPLEX_GRPC was not set (breaks go-plugin < 1.6): %q", body)
	case len(parts) == 5 && !mtls:
		parts = append(parts, "")
	case len(parts) != 6:
		return nil, fmt.Errorf("want 6 '|'-separated fields, got %d: %q", len(parts), body)
	}
	if parts[0] != "1" {
		return nil, fmt.Errorf("core protocol version %q, want 1", parts[0])
	}
	if parts[1] != strconv.Itoa(kvplugin.ProtocolVersion) {
		return nil, fmt.Errorf("app protocol version %q, want %d (offered PLUGIN_PROTOCOL_VERSIONS=%d)", parts[1], kvplugin.ProtocolVersion, kvplugin.ProtocolVersion)
	}
	hs := &handshake{network: parts[2], address: parts[3]}
	switch hs.network {
	case "unix":
		if !filepath.IsAbs(hs.address) {
			return hs, fmt.Errorf("unix socket path %q is not absolute", hs.address)
		}
		fi, err := os.Lstat(hs.address)
		if err != nil {
			return hs, fmt.Errorf("unix socket %q: %v", hs.address, err)
		}
		if fi.Mode()&os.ModeSocket == 0 {
			return hs, fmt.Errorf("%q is not a socket", hs.address)
		}
	case "tcp":
		host, port, err := net.SplitHostPort(hs.address)
		if err != nil {
			return hs, fmt.Errorf("tcp address %q: %v", hs.address, err)
		}
		if host != "127.0.0.1" {
			return hs, fmt.Errorf("tcp address %q: want 127.0.0.1", hs.address)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 10000 || p > 25000 {
			return hs, fmt.Errorf("tcp port %q outside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (10000..25000)", port)
		}
	default:
		return hs, fmt.Errorf("network type %q, want unix or tcp", hs.network)
	}
	if parts[4] != "grpc" {
		return hs, fmt.Errorf("protocol %q, want grpc", parts[4])
	}
	certField := parts[5]
	if !mtls {
		if certField != "" {
			return hs, fmt.Errorf("field 6 must be empty without PLUGIN_CLIENT_CERT, got %d chars (a newest go-plugin host would panic)", len(certField))
		}
		hs.summary = fmt.Sprintf("%q", body)
		return hs, nil
	}
	if len(certField) <= 50 {
		return hs, fmt.Errorf("AutoMTLS: field 6 (server cert) has %d chars; go-plugin ignores <= 50 and would not trust the plugin", len(certField))
	}
	if strings.ContainsAny(certField, "=\r\n -_") {
		return hs, errors.New("AutoMTLS: field 6 must be standard base64 without '=' padding, newlines or URL alphabet (Go base64.RawStdEncoding)")
	}
	der, err := base64.RawStdEncoding.DecodeString(certField)
	if err != nil {
		return hs, fmt.Errorf("AutoMTLS: field 6: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return hs, fmt.Errorf("AutoMTLS: field 6 is not a DER X.509 certificate: %v", err)
	}
	if err := checkPeerCert(cert); err != nil {
		return hs, fmt.Errorf("AutoMTLS: plugin certificate: %v", err)
	}
	hs.cert = cert
	hs.summary = fmt.Sprintf("%q, %s", strings.Join(parts[:5], "|")+fmt.Sprintf("|<%d chars>", len(certField)), describeCert(cert))
	return hs, nil
}

// checkPeerCert checks what a Go host needs from the plugin's AutoMTLS cert
// (and what newest hosts need for broker dial-back).
func checkPeerCert(c *x509.Certificate) error {
	hasLocalhost := false
	for _, n := range c.DNSNames {
		if n == "localhost" {
			hasLocalhost = true
		}
	}
	if !hasLocalhost {
		return fmt.Errorf("no SAN DNS name localhost (DNS SANs %v; Go ignores the CN)", c.DNSNames)
	}
	now := time.Now()
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return fmt.Errorf("not valid now (%v .. %v)", c.NotBefore, c.NotAfter)
	}
	var server, client bool
	for _, u := range c.ExtKeyUsage {
		server = server || u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny
		client = client || u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny
	}
	if !server || !client {
		return fmt.Errorf("extended key usage must include serverAuth and clientAuth (serverAuth %v, clientAuth %v)", server, client)
	}
	return nil
}

func describeCert(c *x509.Certificate) string {
	key := "unknown key"
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		key = "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		key = fmt.Sprintf("RSA-%d", k.N.BitLen())
	case ed25519.PublicKey:
		key = "Ed25519"
	}
	return fmt.Sprintf("cert %s, %s, SAN DNS %v IP %v", key, c.SignatureAlgorithm, c.DNSNames, c.IPAddresses)
}

// makeCert creates a self-signed certificate shaped like go-plugin's AutoMTLS
// certificates (CN/SAN localhost, O=HashiCorp, EKU client+server, CA, ~30 years).
func makeCert(curve elliptic.Curve) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"HashiCorp"}},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-30 * time.Second),
		NotAfter:              time.Now().Add(262980 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// dialPlugin makes a gRPC connection like go-plugin does (dummy target "unused",
// custom dialer); creds nil = plaintext.
func dialPlugin(network, address string, creds credentials.TransportCredentials) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, address)
		}),
	}
	if creds == nil {
		opts = append(opts, grpc.WithInsecure())
	} else {
		opts = append(opts, grpc.WithTransportCredentials(creds))
	}
	return grpc.Dial("unused", opts...)
}

// ---------------------------------------------------------------------------
// Checks through go-plugin

// helperServer is kv.Helper, served by the host over the broker.
type helperServer struct {
	mu    sync.Mutex
	calls [][2]int64
}

func (h *helperServer) Sum(ctx context.Context, req *kvpb.SumRequest) (*kvpb.SumResponse, error) {
	h.mu.Lock()
	h.calls = append(h.calls, [2]int64{req.A, req.B})
	h.mu.Unlock()
	if (req.B > 0 && req.A > math.MaxInt64-req.B) || (req.B < 0 && req.A < math.MinInt64-req.B) {
		return nil, status.Errorf(codes.OutOfRange, "%d + %d overflows int64", req.A, req.B)
	}
	return &kvpb.SumResponse{R: req.A + req.B}, nil
}

func (h *helperServer) Calls() [][2]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][2]int64(nil), h.calls...)
}

func serveHelper(broker *plugin.GRPCBroker, h *helperServer) uint32 {
	id := broker.NextId()
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		kvpb.RegisterHelperServer(s, h)
		return s
	})
	return id
}

func goPluginChecks(rep *reporter, sink *logSink, path string, args []string) {
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "host",
		Level:      hclog.Trace,
		Output:     sink,
		JSONFormat: true,
	})
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  kvplugin.Handshake,
		Plugins:          plugin.PluginSet{kvplugin.PluginName: &kvplugin.Plugin{}},
		Cmd:              exec.Command(path, args...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         *flagAutoMTLS,
		StartTimeout:     startTimeout,
		Logger:           logger,
	}
	client := plugin.NewClient(cfg)
	killed := false
	pid := 0
	var sockPath string
	defer func() {
		if !killed {
			withTimeout(killWait, "client.Kill()", func() error { client.Kill(); return nil })
		}
		if cfg.Cmd.Process != nil {
			syscall.Kill(cfg.Cmd.Process.Pid, syscall.SIGKILL) // no-op if reaped; ESRCH
		}
		if sockPath != "" {
			os.Remove(sockPath)
		}
	}()

	var proto plugin.ClientProtocol
	ok := rep.step("start", func() (string, error) {
		t0 := time.Now()
		err := withTimeout(startTimeout+5*time.Second, "client.Client()", func() error {
			var err error
			proto, err = client.Client()
			return err
		})
		if cfg.Cmd.Process != nil {
			trackPid(cfg.Cmd.Process.Pid, true)
		}
		if err != nil {
			return "", err
		}
		rc := client.ReattachConfig()
		if rc == nil {
			return "", errors.New("no reattach config after start")
		}
		pid = rc.Pid
		if rc.Addr.Network() == "unix" {
			sockPath = rc.Addr.String()
		}
		if v := client.NegotiatedVersion(); v != kvplugin.ProtocolVersion {
			return "", fmt.Errorf("negotiated version %d, want %d", v, kvplugin.ProtocolVersion)
		}
		if p := client.Protocol(); p != plugin.ProtocolGRPC {
			return "", fmt.Errorf("protocol %q, want grpc", p)
		}
		tlsState := "plaintext"
		if cfg.TLSConfig != nil {
			if cfg.TLSConfig.RootCAs == nil {
				return "", errors.New("AutoMTLS on but go-plugin got no server certificate from the handshake")
			}
			tlsState = "AutoMTLS, server cert loaded"
		}
		return fmt.Sprintf("pid %d, %s %s, version %d, %s, %s", pid, rc.Addr.Network(), rc.Addr.String(),
			client.NegotiatedVersion(), client.Protocol(), tlsState) + ", " + ms(time.Since(t0)), nil
	})
	if !ok {
		return
	}

	var kv *kvplugin.Client
	if !rep.step("dispense", func() (string, error) {
		raw, err := proto.Dispense(kvplugin.PluginName)
		if err != nil {
			return "", err
		}
		var ok bool
		if kv, ok = raw.(*kvplugin.Client); !ok {
			return "", fmt.Errorf("Dispense returned %T", raw)
		}
		return "", nil
	}) {
		return
	}

	rc := client.ReattachConfig()
	network, address := rc.Addr.Network(), rc.Addr.String()
	if *flagAutoMTLS {
		transportChecksMTLS(rep, cfg.TLSConfig, network, address)
	} else {
		rep.step("plaintext", func() (string, error) {
			return "", healthOver(network, address, nil)
		})
	}

	rep.step("put-get", func() (string, error) { return putGet(kv.KV) })
	rep.step("broker-host-to-plugin", func() (string, error) { return brokerHostToPlugin(kv) })
	rep.step("broker-invalid", func() (string, error) { return brokerInvalid(kv) })
	rep.step("broker-plugin-to-host", func() (string, error) { return brokerPluginToHost(kv) })
	rep.step("ping", func() (string, error) { return ping(proto, kv.Conn) })

	// The plugin's listening Unix sockets (main + broker), to check they are gone
	// after Kill.
	sockets, sockErr := listeningUnixSockets(pid)

	rep.step("kill", func() (string, error) {
		t0 := time.Now()
		err := withTimeout(killWait, "client.Kill()", func() error { client.Kill(); return nil })
		elapsed := time.Since(t0)
		killed = err == nil
		if err != nil {
			syscall.Kill(pid, syscall.SIGKILL)
			return "", err
		}
		var problems []string
		if elapsed >= *flagKillLimit {
			problems = append(problems, fmt.Sprintf("Kill() took %s (limit %v: go-plugin waited for a graceful exit, then SIGKILLed)", ms(elapsed), *flagKillLimit))
		}
		if err := processGone(pid); err != nil {
			problems = append(problems, err.Error())
		} else {
			trackPid(pid, false)
		}
		if !client.Exited() {
			problems = append(problems, "go-plugin does not report the process as exited")
		}
		seen, exitErr := sink.exitInfo()
		exitDesc := "exit status 0"
		switch {
		case !seen:
			problems = append(problems, "go-plugin logged no 'plugin process exited' entry")
		case exitErr != "":
			exitDesc = exitErr
			problems = append(problems, fmt.Sprintf("plugin ended with %q, want exit status 0", exitErr))
		}
		sockDesc := "socket files removed"
		if sockErr != nil {
			sockDesc = "plugin sockets not listed: " + sockErr.Error()
		} else {
			sockDesc = fmt.Sprintf("all %d listening socket files removed", len(sockets))
		}
		if sockPath != "" && !contains(sockets, sockPath) {
			sockets = append(sockets, sockPath)
		}
		for _, p := range sockets {
			if _, err := os.Lstat(p); err == nil {
				problems = append(problems, "socket file "+p+" left behind")
				os.Remove(p)
			}
		}
		if len(problems) > 0 {
			return "", errors.New(strings.Join(problems, "; "))
		}
		return fmt.Sprintf("Kill() returned after %s, pid %d gone, %s, %s", ms(elapsed), pid, exitDesc, sockDesc), nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// listeningUnixSockets returns the filesystem paths of the listening Unix
// sockets that process pid has open (from /proc/PID/fd and /proc/net/unix).
func listeningUnixSockets(pid int) ([]string, error) {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := ioutil.ReadDir(fdDir)
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	table, err := ioutil.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, line := range strings.Split(string(table), "\n")[1:] {
		// Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = listening
		f := strings.Fields(line)
		if len(f) < 8 || f[3] != "00010000" || !inodes[f[6]] || !strings.HasPrefix(f[7], "/") {
			continue
		}
		paths = append(paths, f[7])
	}
	return paths, nil
}

func processGone(pid int) error {
	err := syscall.Kill(pid, 0)
	if err == syscall.ESRCH {
		return nil
	}
	if b, rerr := ioutil.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); rerr == nil {
		f := strings.Fields(string(b))
		if len(f) > 2 && f[2] == "Z" {
			return fmt.Errorf("pid %d is a zombie (not reaped)", pid)
		}
	}
	return fmt.Errorf("pid %d still exists (kill(pid, 0): %v)", pid, err)
}

// healthOver opens a fresh connection and runs Health.Check("plugin").
func healthOver(network, address string, tc *tls.Config) error {
	var creds credentials.TransportCredentials
	if tc != nil {
		creds = credentials.NewTLS(tc)
	}
	conn, err := dialPlugin(network, address, creds)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), rejectWait)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: plugin.GRPCServiceName})
	return err
}

func transportChecksMTLS(rep *reporter, hostTLS *tls.Config, network, address string) {
	rep.step("mtls-peer", func() (string, error) {
		if hostTLS == nil {
			return "", errors.New("go-plugin has no TLS config although AutoMTLS is on")
		}
		tc := hostTLS.Clone()
		tc.NextProtos = []string{"h2"}
		raw, err := net.DialTimeout(network, address, rpcTimeout)
		if err != nil {
			return "", err
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(rpcTimeout))
		conn := tls.Client(raw, tc)
		if err := conn.Handshake(); err != nil {
			return "", fmt.Errorf("TLS handshake with go-plugin's host certificate: %v", err)
		}
		st := conn.ConnectionState()
		if st.NegotiatedProtocol != "h2" {
			return "", fmt.Errorf("ALPN negotiated %q, want h2 (grpc-go >= 1.67 hosts refuse connections without it)", st.NegotiatedProtocol)
		}
		if len(st.PeerCertificates) == 0 {
			return "", errors.New("no peer certificate")
		}
		if err := checkPeerCert(st.PeerCertificates[0]); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s, %s, ALPN h2, %s", tlsVersion(st.Version), tls.CipherSuiteName(st.CipherSuite),
			describeCert(st.PeerCertificates[0])), nil
	})
	mustReject := func(name string, tc *tls.Config) {
		rep.step(name, func() (string, error) {
			err := healthOver(network, address, tc)
			if err == nil {
				return "", errors.New("the plugin served a Health.Check on this connection")
			}
			return "rejected: " + status.Code(err).String(), nil
		})
	}
	mustReject("mtls-rejects-plaintext", nil)
	if hostTLS == nil {
		return
	}
	noCert := hostTLS.Clone()
	noCert.Certificates = nil
	mustReject("mtls-rejects-no-client-cert", noCert)
	certPEM, keyPEM, err := makeCert(elliptic.P256())
	var other tls.Certificate
	if err == nil {
		other, err = tls.X509KeyPair(certPEM, keyPEM)
	}
	if err != nil {
		rep.fail("mtls-rejects-wrong-client-cert", err)
		return
	}
	wrong := hostTLS.Clone()
	wrong.Certificates = []tls.Certificate{other}
	mustReject("mtls-rejects-wrong-client-cert", wrong)
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("TLS 0x%04x", v)
}

func rpcCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), rpcTimeout)
}

func put(kv kvpb.KVClient, key string, value []byte, id uint32) error {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout+5*time.Second) // Dial may wait 5 s
	defer cancel()
	_, err := kv.Put(ctx, &kvpb.PutRequest{Key: key, Value: value, AddServer: id})
	return err
}

func get(kv kvpb.KVClient, key string) ([]byte, error) {
	ctx, cancel := rpcCtx()
	defer cancel()
	resp, err := kv.Get(ctx, &kvpb.GetRequest{Key: key})
	if err != nil {
		return nil, err
	}
	return resp.Value, nil
}

func expectValue(kv kvpb.KVClient, key string, want []byte) error {
	got, err := get(kv, key)
	if err != nil {
		return fmt.Errorf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("Get(%q) = %q, want %q", key, got, want)
	}
	return nil
}

func putGet(kv kvpb.KVClient) (string, error) {
	if err := put(kv, "greeting", []byte("hello"), 0); err != nil {
		return "", fmt.Errorf("Put(greeting): %v", err)
	}
	if err := expectValue(kv, "greeting", []byte("hello")); err != nil {
		return "", err
	}
	if err := put(kv, "greeting", []byte("world"), 0); err != nil {
		return "", fmt.Errorf("Put(greeting) again: %v", err)
	}
	if err := expectValue(kv, "greeting", []byte("world")); err != nil {
		return "", err
	}
	bin := []byte{0, 1, 2, 0xff, '|', '\n', 0}
	if err := put(kv, "binary", bin, 0); err != nil {
		return "", fmt.Errorf("Put(binary): %v", err)
	}
	if err := expectValue(kv, "binary", bin); err != nil {
		return "", err
	}
	// 1 MiB + 7: many HTTP/2 DATA frames, below gRPC's default 4 MiB receive limit
	// (go-plugin 1.0.1's DefaultGRPCServer keeps that limit).
	big := append(bytes.Repeat([]byte("0123456789abcdef"), 1024*1024/16), "tail-07"...)
	if err := put(kv, "big", big, 0); err != nil {
		return "", fmt.Errorf("Put(big, %d bytes): %v", len(big), err)
	}
	if err := expectValue(kv, "big", big); err != nil {
		return "", fmt.Errorf("%d-byte value: %.200s", len(big), err.Error())
	}
	if err := put(kv, "empty", nil, 0); err != nil {
		return "", fmt.Errorf("Put(empty): %v", err)
	}
	if err := expectValue(kv, "empty", []byte{}); err != nil {
		return "", err
	}
	_, err := get(kv, "no-such-key")
	if status.Code(err) != codes.NotFound {
		return "", fmt.Errorf("Get(no-such-key): got %v, want NotFound", err)
	}
	return "", nil
}

func brokerHostToPlugin(kv *kvplugin.Client) (string, error) {
	if err := put(kv.KV, "n", []byte("2"), 0); err != nil {
		return "", fmt.Errorf("Put(n=2): %v", err)
	}
	h := &helperServer{}
	id1 := serveHelper(kv.Broker, h)
	t0 := time.Now()
	if err := put(kv.KV, "n", []byte("40"), id1); err != nil {
		return "", fmt.Errorf("Put(n, 40, add_server=%d): %v", id1, err)
	}
	rtt := time.Since(t0)
	if err := expectValue(kv.KV, "n", []byte("42")); err != nil {
		return "", err
	}
	// A second callback, on a fresh broker id (each id serves one Dial), with a
	// negative result.
	id2 := serveHelper(kv.Broker, h)
	if err := put(kv.KV, "n", []byte("-50"), id2); err != nil {
		return "", fmt.Errorf("Put(n, -50, add_server=%d): %v", id2, err)
	}
	if err := expectValue(kv.KV, "n", []byte("-8")); err != nil {
		return "", err
	}
	// A missing key counts as 0.
	id3 := serveHelper(kv.Broker, h)
	if err := put(kv.KV, "fresh", []byte("7"), id3); err != nil {
		return "", fmt.Errorf("Put(fresh, 7, add_server=%d): %v", id3, err)
	}
	if err := expectValue(kv.KV, "fresh", []byte("7")); err != nil {
		return "", err
	}
	calls := h.Calls()
	want := [][2]int64{{2, 40}, {42, -50}, {0, 7}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		return "", fmt.Errorf("host Helper.Sum calls %v, want %v", calls, want)
	}
	return fmt.Sprintf("broker ids %d,%d,%d; Helper.Sum calls %v; first callback Put took %s", id1, id2, id3, calls, ms(rtt)), nil
}

func brokerInvalid(kv *kvplugin.Client) (string, error) {
	if err := put(kv.KV, "m", []byte("5"), 0); err != nil {
		return "", fmt.Errorf("Put(m=5): %v", err)
	}
	if err := put(kv.KV, "word", []byte("abc"), 0); err != nil {
		return "", fmt.Errorf("Put(word=abc): %v", err)
	}
	h := &helperServer{}
	id := serveHelper(kv.Broker, h)
	for _, c := range []struct{ key, value string }{
		{"m", "4x2"},                  // new value not decimal
		{"m", "+5"},                   // '+' is not allowed
		{"m", "99999999999999999999"}, // 20 digits: beyond int64
		{"m", ""},                     // empty
		{"word", "1"},                 // current value not decimal
	} {
		err := put(kv.KV, c.key, []byte(c.value), id)
		if status.Code(err) != codes.InvalidArgument {
			return "", fmt.Errorf("Put(%s, %q, add_server=%d): got %v, want InvalidArgument", c.key, c.value, id, err)
		}
	}
	if err := expectValue(kv.KV, "m", []byte("5")); err != nil {
		return "", fmt.Errorf("value changed by a rejected Put: %v", err)
	}
	if err := expectValue(kv.KV, "word", []byte("abc")); err != nil {
		return "", fmt.Errorf("value changed by a rejected Put: %v", err)
	}
	if c := h.Calls(); len(c) != 0 {
		return "", fmt.Errorf("Helper.Sum was called for invalid input: %v", c)
	}
	return "5 malformed values rejected before any callback", nil
}

func brokerPluginToHost(kv *kvplugin.Client) (string, error) {
	start := func(initial int64) (kvpb.CounterClient, *grpc.ClientConn, uint32, error) {
		ctx, cancel := rpcCtx()
		defer cancel()
		resp, err := kv.KV.StartCounter(ctx, &kvpb.StartCounterRequest{Initial: initial})
		if err != nil {
			return nil, nil, 0, fmt.Errorf("StartCounter(%d): %v", initial, err)
		}
		if resp.BrokerId == 0 {
			return nil, nil, 0, errors.New("StartCounter returned broker id 0")
		}
		conn, err := kv.Broker.Dial(resp.BrokerId) // waits up to 5 s for the ConnInfo
		if err != nil {
			return nil, nil, resp.BrokerId, fmt.Errorf("broker Dial(%d): %v", resp.BrokerId, err)
		}
		return kvpb.NewCounterClient(conn), conn, resp.BrokerId, nil
	}
	add := func(c kvpb.CounterClient, delta, want int64) error {
		ctx, cancel := rpcCtx()
		defer cancel()
		resp, err := c.Add(ctx, &kvpb.AddRequest{Delta: delta})
		if err != nil {
			return fmt.Errorf("Counter.Add(%d): %v", delta, err)
		}
		if resp.Total != want {
			return fmt.Errorf("Counter.Add(%d) = %d, want %d", delta, resp.Total, want)
		}
		return nil
	}
	t0 := time.Now()
	c1, conn1, id1, err := start(100)
	if err != nil {
		return "", err
	}
	defer conn1.Close()
	if err := add(c1, 5, 105); err != nil {
		return "", err
	}
	rtt := time.Since(t0)
	if err := add(c1, -3, 102); err != nil {
		return "", err
	}
	c2, conn2, id2, err := start(0)
	if err != nil {
		return "", err
	}
	defer conn2.Close()
	if id2 == id1 {
		return "", fmt.Errorf("both StartCounter calls returned broker id %d", id1)
	}
	if err := add(c2, 1, 1); err != nil {
		return "", fmt.Errorf("second counter: %v", err)
	}
	if err := add(c1, 0, 102); err != nil {
		return "", fmt.Errorf("first counter after the second started: %v", err)
	}
	ctx, cancel := rpcCtx()
	_, err = c1.Add(ctx, &kvpb.AddRequest{Delta: math.MaxInt64})
	cancel()
	if status.Code(err) != codes.OutOfRange {
		return "", fmt.Errorf("Counter.Add(MaxInt64) on 102: got %v, want OutOfRange", err)
	}
	if err := add(c1, 0, 102); err != nil {
		return "", fmt.Errorf("after overflow: %v", err)
	}
	return fmt.Sprintf("plugin broker ids %d,%d; StartCounter+Dial+Add took %s", id1, id2, ms(rtt)), nil
}

func ping(proto plugin.ClientProtocol, conn *grpc.ClientConn) (string, error) {
	t0 := time.Now()
	if err := withTimeout(rpcTimeout, "client.Ping()", proto.Ping); err != nil {
		return "", fmt.Errorf("client.Ping(): %v", err)
	}
	pingTime := time.Since(t0)
	hc := healthpb.NewHealthClient(conn)
	for _, svc := range []string{plugin.GRPCServiceName, ""} {
		ctx, cancel := rpcCtx()
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		cancel()
		if err != nil {
			return "", fmt.Errorf("Health.Check(%q): %v", svc, err)
		}
		if resp.Status != healthpb.HealthCheckResponse_SERVING {
			return "", fmt.Errorf("Health.Check(%q) = %v, want SERVING", svc, resp.Status)
		}
	}
	ctx, cancel := rpcCtx()
	_, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	cancel()
	if status.Code(err) != codes.NotFound {
		return "", fmt.Errorf("Health.Check(\"no.such.Service\"): got %v, want NotFound", err)
	}
	return "client.Ping() " + ms(pingTime) + `; "plugin" and "" SERVING; unknown NotFound`, nil
}
