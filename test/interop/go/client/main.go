// Command interop_client is a grpc-go client running gRPC's interop test cases
// (doc/interop-test-descriptions.md upstream) against a grpc.testing.TestService
// server, e.g. rpcplugin's C++ server. Compression cases check the real per-message
// compressed flag in both directions (see package gzipctl).
//
// Usage:
//
//	interop_client -target unix:/path/sock|host:port [-tls [-ca F] [-server_name N]
//	    [-client_cert F -client_key F]] [-cases a,b,c] [-timeout 10s] [-list]
//
// Prints "PASS name" or "FAIL name: reason" per case, then "N passed, N failed";
// exits 0 only if every case passed.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"interop/gzipctl"
	testpb "interop/testpb"
)

const (
	largeReqSize  = 271828
	largeRespSize = 314159

	echoInitialKey    = "x-grpc-test-echo-initial"
	echoInitialValue  = "test_initial_metadata_value"
	echoTrailingKey   = "x-grpc-test-echo-trailing-bin"
	echoTrailingValue = "\xab\xab\xab"

	statusMessage        = "test status message"
	specialStatusMessage = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"

	concurrentCalls = 100
)

var (
	reqSizes  = []int{27182, 8, 1828, 45904}
	respSizes = []int{31415, 9, 2653, 58979}
)

// env is what a test case runs against.
type env struct {
	conn *grpc.ClientConn
	tc   testpb.TestServiceClient
}

type testCase struct {
	name string
	run  func(ctx context.Context, e *env) error
}

var allCases = []testCase{
	{"empty_unary", emptyUnary},
	{"large_unary", largeUnary},
	{"client_compressed_unary", clientCompressedUnary},
	{"server_compressed_unary", serverCompressedUnary},
	{"client_streaming", clientStreaming},
	{"client_compressed_streaming", clientCompressedStreaming},
	{"server_streaming", serverStreaming},
	{"server_compressed_streaming", serverCompressedStreaming},
	{"ping_pong", pingPong},
	{"empty_stream", emptyStream},
	{"custom_metadata", customMetadata},
	{"status_code_and_message", statusCodeAndMessage},
	{"special_status_message", specialStatus},
	{"unimplemented_method", unimplementedMethod},
	{"unimplemented_service", unimplementedService},
	{"cancel_after_begin", cancelAfterBegin},
	{"cancel_after_first_response", cancelAfterFirstResponse},
	{"timeout_on_sleeping_server", timeoutOnSleepingServer},
	{"concurrent_large_unary", concurrentLargeUnary},
}

func main() {
	target := flag.String("target", "", "server address: unix:/path/to/socket or host:port")
	useTLS := flag.Bool("tls", false, "use TLS")
	caFile := flag.String("ca", "", "CA certificates (PEM) to verify the server with (default: system roots)")
	serverName := flag.String("server_name", "", "TLS server name and :authority override")
	clientCert := flag.String("client_cert", "", "client certificate (PEM) for mutual TLS")
	clientKey := flag.String("client_key", "", "client private key (PEM) for mutual TLS")
	caseList := flag.String("cases", "", "comma-separated cases to run (default: all)")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline of each case")
	list := flag.Bool("list", false, "print the case names and exit")
	flag.Parse()

	if *list {
		for _, c := range allCases {
			fmt.Println(c.name)
		}
		return
	}
	if *target == "" {
		usage("-target is required")
	}
	cases, err := selectCases(*caseList)
	if err != nil {
		usage(err.Error())
	}
	if (*clientCert == "") != (*clientKey == "") {
		usage("-client_cert and -client_key go together")
	}
	if !*useTLS && (*caFile != "" || *clientCert != "") {
		usage("-ca, -client_cert and -client_key need -tls")
	}

	opts, dialTarget, err := dialOptions(*target, *useTLS, *caFile, *serverName, *clientCert, *clientKey)
	var conn *grpc.ClientConn
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		conn, err = grpc.DialContext(ctx, dialTarget, opts...)
		cancel()
	}
	passed, failed := 0, 0
	if err != nil {
		for _, c := range cases {
			fmt.Printf("FAIL %s: connect %s: %v\n", c.name, *target, err)
			failed++
		}
	} else {
		e := &env{conn: conn, tc: testpb.NewTestServiceClient(conn)}
		for _, c := range cases {
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			err := c.run(ctx, e)
			cancel()
			if err != nil {
				fmt.Printf("FAIL %s: %v\n", c.name, err)
				failed++
			} else {
				fmt.Printf("PASS %s\n", c.name)
				passed++
			}
		}
		conn.Close()
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "interop_client: %s\n", msg)
	flag.Usage()
	os.Exit(2)
}

func selectCases(list string) ([]testCase, error) {
	if list == "" {
		return allCases, nil
	}
	var out []testCase
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for _, c := range allCases {
			if c.name == name {
				out = append(out, c)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown case %q (see -list)", name)
		}
	}
	return out, nil
}

// dialOptions builds the connection options and the grpc-go dial target. A unix
// socket is dialled by a custom dialer; its :authority is "localhost".
func dialOptions(target string, useTLS bool, caFile, serverName, certFile, keyFile string) ([]grpc.DialOption, string, error) {
	opts := append(gzipctl.DialOptions(), grpc.WithBlock(), grpc.WithReturnConnectionError(),
		grpc.FailOnNonTempDialError(true))
	dialTarget, host := target, ""
	if strings.HasPrefix(target, "unix:") {
		path := strings.TrimPrefix(strings.TrimPrefix(target, "unix:"), "//")
		if path == "" {
			return nil, "", fmt.Errorf("empty socket path in %q", target)
		}
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}))
		dialTarget, host = "passthrough:///localhost", "localhost"
	} else {
		h, _, err := net.SplitHostPort(target)
		if err != nil {
			return nil, "", fmt.Errorf("bad target %q: %v", target, err)
		}
		host = h
	}
	if serverName != "" {
		host = serverName
		opts = append(opts, grpc.WithAuthority(serverName))
	}
	if !useTLS {
		return append(opts, grpc.WithInsecure()), dialTarget, nil
	}
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := ioutil.ReadFile(caFile)
		if err != nil {
			return nil, "", err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("%s: no PEM certificates", caFile)
		}
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, "", fmt.Errorf("load client key pair: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg))), dialTarget, nil
}

// ---- helpers ----

func zeros(n int) []byte { return make([]byte, n) }

func newPayload(n int) *testpb.Payload {
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: zeros(n)}
}

func largeRequest() *testpb.SimpleRequest {
	return &testpb.SimpleRequest{
		ResponseType: testpb.PayloadType_COMPRESSABLE,
		ResponseSize: largeRespSize,
		Payload:      newPayload(largeReqSize),
	}
}

func boolValue(v bool) *testpb.BoolValue { return &testpb.BoolValue{Value: v} }

// checkPayload asserts a COMPRESSABLE payload of n zero bytes.
func checkPayload(p *testpb.Payload, n int) error {
	if p == nil {
		return fmt.Errorf("response has no payload")
	}
	if p.GetType() != testpb.PayloadType_COMPRESSABLE {
		return fmt.Errorf("payload type %v, want COMPRESSABLE", p.GetType())
	}
	if len(p.GetBody()) != n {
		return fmt.Errorf("payload body is %d bytes, want %d", len(p.GetBody()), n)
	}
	if !bytes.Equal(p.GetBody(), zeros(n)) {
		return fmt.Errorf("payload body of %d bytes is not all zeros", n)
	}
	return nil
}

// wantCode asserts that err is a gRPC status with the given code.
func wantCode(err error, code codes.Code) error {
	if err == nil {
		return fmt.Errorf("call succeeded, want status %v", code)
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("got non-status error %v, want status %v", err, code)
	}
	if st.Code() != code {
		return fmt.Errorf("got status %v (%q), want %v", st.Code(), st.Message(), code)
	}
	return nil
}

// wantStatus asserts code and message exactly.
func wantStatus(err error, code codes.Code, msg string) error {
	if err := wantCode(err, code); err != nil {
		return err
	}
	if got := status.Convert(err).Message(); got != msg {
		return fmt.Errorf("status message %q, want %q", got, msg)
	}
	return nil
}

// wantEOF asserts that a response stream ended cleanly with OK.
func wantEOF(stream grpc.ClientStream, what string) error {
	var m testpb.StreamingOutputCallResponse
	err := stream.RecvMsg(&m)
	if err == io.EOF {
		return nil
	}
	if err == nil {
		return fmt.Errorf("%s: got an extra response", what)
	}
	return fmt.Errorf("%s: call failed: %v", what, err)
}

func wantFlags(got, want []bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("recorded %d received messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			return fmt.Errorf("response %d: compressed flag %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// acceptGzip advertises gzip support to the server (grpc-go 1.33 sends
// grpc-accept-encoding only on calls that themselves compress).
func acceptGzip(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "grpc-accept-encoding", gzipctl.Name)
}

// ---- test cases ----

func emptyUnary(ctx context.Context, e *env) error {
	resp, err := e.tc.EmptyCall(ctx, &testpb.Empty{})
	if err != nil {
		return err
	}
	if resp == nil {
		return fmt.Errorf("nil response")
	}
	return nil
}

func largeUnary(ctx context.Context, e *env) error {
	resp, err := e.tc.UnaryCall(ctx, largeRequest())
	if err != nil {
		return err
	}
	return checkPayload(resp.GetPayload(), largeRespSize)
}

func clientCompressedUnary(ctx context.Context, e *env) error {
	// 1. Probe: an uncompressed request that claims to be compressed must be refused.
	probe := largeRequest()
	probe.ExpectCompressed = boolValue(true)
	_, err := e.tc.UnaryCall(ctx, probe)
	if err := wantCode(err, codes.InvalidArgument); err != nil {
		return fmt.Errorf("probe (uncompressed, expect_compressed=true): %v", err)
	}
	// 2. A compressed request, then 3. an uncompressed one.
	for _, compressed := range []bool{true, false} {
		req := largeRequest()
		req.ExpectCompressed = boolValue(compressed)
		var opts []grpc.CallOption
		if compressed {
			opts = append(opts, grpc.UseCompressor(gzipctl.Name))
			gzipctl.Mark(req, true)
		}
		resp, err := e.tc.UnaryCall(ctx, req, opts...)
		if err != nil {
			return fmt.Errorf("compressed=%v: %v", compressed, err)
		}
		if err := checkPayload(resp.GetPayload(), largeRespSize); err != nil {
			return fmt.Errorf("compressed=%v: %v", compressed, err)
		}
	}
	return nil
}

func serverCompressedUnary(ctx context.Context, e *env) error {
	for _, compressed := range []bool{true, false} {
		req := largeRequest()
		req.ResponseCompressed = boolValue(compressed)
		cctx, rec := gzipctl.WithRecorder(acceptGzip(ctx))
		resp, err := e.tc.UnaryCall(cctx, req)
		if err != nil {
			return fmt.Errorf("response_compressed=%v: %v", compressed, err)
		}
		if err := checkPayload(resp.GetPayload(), largeRespSize); err != nil {
			return fmt.Errorf("response_compressed=%v: %v", compressed, err)
		}
		if err := wantFlags(rec.Flags(), []bool{compressed}); err != nil {
			return fmt.Errorf("response_compressed=%v: %v", compressed, err)
		}
	}
	return nil
}

func clientStreaming(ctx context.Context, e *env) error {
	stream, err := e.tc.StreamingInputCall(ctx)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range reqSizes {
		if err := stream.Send(&testpb.StreamingInputCallRequest{Payload: newPayload(n)}); err != nil {
			return fmt.Errorf("send %d bytes: %v", n, err)
		}
		total += n
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return err
	}
	if got := int(resp.GetAggregatedPayloadSize()); got != total {
		return fmt.Errorf("aggregated_payload_size %d, want %d", got, total)
	}
	return nil
}

func clientCompressedStreaming(ctx context.Context, e *env) error {
	// 1. Probe: an uncompressed message that claims to be compressed must be refused.
	stream, err := e.tc.StreamingInputCall(ctx)
	if err != nil {
		return err
	}
	probe := &testpb.StreamingInputCallRequest{ExpectCompressed: boolValue(true), Payload: newPayload(27182)}
	if err := stream.Send(probe); err != nil && err != io.EOF {
		return fmt.Errorf("probe: send: %v", err)
	}
	_, err = stream.CloseAndRecv()
	if err := wantCode(err, codes.InvalidArgument); err != nil {
		return fmt.Errorf("probe (uncompressed, expect_compressed=true): %v", err)
	}
	// 2. One compressed message, then one uncompressed message, on a gzip call.
	stream, err = e.tc.StreamingInputCall(ctx, grpc.UseCompressor(gzipctl.Name))
	if err != nil {
		return err
	}
	first := &testpb.StreamingInputCallRequest{ExpectCompressed: boolValue(true), Payload: newPayload(27182)}
	second := &testpb.StreamingInputCallRequest{ExpectCompressed: boolValue(false), Payload: newPayload(45904)}
	gzipctl.Mark(first, true)
	gzipctl.Mark(second, false)
	for _, m := range []*testpb.StreamingInputCallRequest{first, second} {
		if err := stream.Send(m); err != nil {
			if err == io.EOF {
				_, err = stream.CloseAndRecv()
			}
			return fmt.Errorf("send: %v", err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return err
	}
	if got := resp.GetAggregatedPayloadSize(); got != 73086 {
		return fmt.Errorf("aggregated_payload_size %d, want 73086", got)
	}
	return nil
}

func serverStreaming(ctx context.Context, e *env) error {
	req := &testpb.StreamingOutputCallRequest{ResponseType: testpb.PayloadType_COMPRESSABLE}
	for _, n := range respSizes {
		req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: int32(n)})
	}
	stream, err := e.tc.StreamingOutputCall(ctx, req)
	if err != nil {
		return err
	}
	for i, n := range respSizes {
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("response %d: %v", i, err)
		}
		if err := checkPayload(resp.GetPayload(), n); err != nil {
			return fmt.Errorf("response %d: %v", i, err)
		}
	}
	return wantEOF(stream, "after 4 responses")
}

func serverCompressedStreaming(ctx context.Context, e *env) error {
	req := &testpb.StreamingOutputCallRequest{
		ResponseType: testpb.PayloadType_COMPRESSABLE,
		ResponseParameters: []*testpb.ResponseParameters{
			{Size: 31415, Compressed: boolValue(true)},
			{Size: 92653, Compressed: boolValue(false)},
		},
	}
	cctx, rec := gzipctl.WithRecorder(acceptGzip(ctx))
	stream, err := e.tc.StreamingOutputCall(cctx, req)
	if err != nil {
		return err
	}
	for i, p := range req.ResponseParameters {
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("response %d: %v", i, err)
		}
		if err := checkPayload(resp.GetPayload(), int(p.Size)); err != nil {
			return fmt.Errorf("response %d: %v", i, err)
		}
	}
	if err := wantEOF(stream, "after 2 responses"); err != nil {
		return err
	}
	return wantFlags(rec.Flags(), []bool{true, false})
}

func pingPong(ctx context.Context, e *env) error {
	stream, err := e.tc.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	for i := range reqSizes {
		req := &testpb.StreamingOutputCallRequest{
			ResponseType:       testpb.PayloadType_COMPRESSABLE,
			ResponseParameters: []*testpb.ResponseParameters{{Size: int32(respSizes[i])}},
			Payload:            newPayload(reqSizes[i]),
		}
		if err := stream.Send(req); err != nil {
			if err == io.EOF {
				_, err = stream.Recv()
			}
			return fmt.Errorf("round %d: send: %v", i, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("round %d: %v", i, err)
		}
		if err := checkPayload(resp.GetPayload(), respSizes[i]); err != nil {
			return fmt.Errorf("round %d: %v", i, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return wantEOF(stream, "after half-close")
}

func emptyStream(ctx context.Context, e *env) error {
	stream, err := e.tc.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return wantEOF(stream, "empty stream")
}

func checkEchoedMetadata(header, trailer metadata.MD) error {
	if got := header.Get(echoInitialKey); len(got) != 1 || got[0] != echoInitialValue {
		return fmt.Errorf("initial metadata %s = %q, want [%q]", echoInitialKey, got, echoInitialValue)
	}
	if got := trailer.Get(echoTrailingKey); len(got) != 1 || got[0] != echoTrailingValue {
		return fmt.Errorf("trailing metadata %s = %q, want [%q]", echoTrailingKey, got, echoTrailingValue)
	}
	return nil
}

func customMetadata(ctx context.Context, e *env) error {
	ctx = metadata.AppendToOutgoingContext(ctx, echoInitialKey, echoInitialValue, echoTrailingKey, echoTrailingValue)

	var header, trailer metadata.MD
	resp, err := e.tc.UnaryCall(ctx, largeRequest(), grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		return fmt.Errorf("unary: %v", err)
	}
	if err := checkPayload(resp.GetPayload(), largeRespSize); err != nil {
		return fmt.Errorf("unary: %v", err)
	}
	if err := checkEchoedMetadata(header, trailer); err != nil {
		return fmt.Errorf("unary: %v", err)
	}

	stream, err := e.tc.FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	req := &testpb.StreamingOutputCallRequest{
		ResponseType:       testpb.PayloadType_COMPRESSABLE,
		ResponseParameters: []*testpb.ResponseParameters{{Size: largeRespSize}},
		Payload:            newPayload(largeReqSize),
	}
	if err := stream.Send(req); err != nil && err != io.EOF {
		return fmt.Errorf("bidi: send: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	bresp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	if err := checkPayload(bresp.GetPayload(), largeRespSize); err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	if err := wantEOF(stream, "bidi"); err != nil {
		return err
	}
	bheader, err := stream.Header()
	if err != nil {
		return fmt.Errorf("bidi: header: %v", err)
	}
	if err := checkEchoedMetadata(bheader, stream.Trailer()); err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	return nil
}

func statusCodeAndMessage(ctx context.Context, e *env) error {
	echo := &testpb.EchoStatus{Code: int32(codes.Unknown), Message: statusMessage}

	_, err := e.tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: echo})
	if err := wantStatus(err, codes.Unknown, statusMessage); err != nil {
		return fmt.Errorf("unary: %v", err)
	}

	stream, err := e.tc.FullDuplexCall(ctx)
	if err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: echo}); err != nil && err != io.EOF {
		return fmt.Errorf("bidi: send: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	_, err = stream.Recv()
	if err := wantStatus(err, codes.Unknown, statusMessage); err != nil {
		return fmt.Errorf("bidi: %v", err)
	}
	return nil
}

func specialStatus(ctx context.Context, e *env) error {
	echo := &testpb.EchoStatus{Code: int32(codes.Unknown), Message: specialStatusMessage}
	_, err := e.tc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: echo})
	return wantStatus(err, codes.Unknown, specialStatusMessage)
}

func unimplementedMethod(ctx context.Context, e *env) error {
	_, err := e.tc.UnimplementedCall(ctx, &testpb.Empty{})
	return wantCode(err, codes.Unimplemented)
}

func unimplementedService(ctx context.Context, e *env) error {
	_, err := testpb.NewUnimplementedServiceClient(e.conn).UnimplementedCall(ctx, &testpb.Empty{})
	return wantCode(err, codes.Unimplemented)
}

func cancelAfterBegin(ctx context.Context, e *env) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := e.tc.StreamingInputCall(cctx)
	if err != nil {
		return err
	}
	cancel()
	_, err = stream.CloseAndRecv()
	return wantCode(err, codes.Canceled)
}

func cancelAfterFirstResponse(ctx context.Context, e *env) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := e.tc.FullDuplexCall(cctx)
	if err != nil {
		return err
	}
	req := &testpb.StreamingOutputCallRequest{
		ResponseType:       testpb.PayloadType_COMPRESSABLE,
		ResponseParameters: []*testpb.ResponseParameters{{Size: 31415}},
		Payload:            newPayload(27182),
	}
	if err := stream.Send(req); err != nil {
		return fmt.Errorf("send: %v", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("first response: %v", err)
	}
	if err := checkPayload(resp.GetPayload(), 31415); err != nil {
		return fmt.Errorf("first response: %v", err)
	}
	cancel()
	_, err = stream.Recv()
	return wantCode(err, codes.Canceled)
}

func timeoutOnSleepingServer(ctx context.Context, e *env) error {
	cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	stream, err := e.tc.FullDuplexCall(cctx)
	if err != nil {
		return wantCode(err, codes.DeadlineExceeded) // expired before the stream started
	}
	req := &testpb.StreamingOutputCallRequest{Payload: newPayload(27182)}
	if err := stream.Send(req); err != nil && err != io.EOF {
		return wantCode(err, codes.DeadlineExceeded)
	}
	_, err = stream.Recv()
	return wantCode(err, codes.DeadlineExceeded)
}

func concurrentLargeUnary(ctx context.Context, e *env) error {
	errs := make(chan error, concurrentCalls)
	var wg sync.WaitGroup
	for i := 0; i < concurrentCalls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- largeUnary(ctx, e)
		}()
	}
	wg.Wait()
	close(errs)
	failed, first := 0, error(nil)
	for err := range errs {
		if err != nil {
			if first == nil {
				first = err
			}
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d calls failed, first: %v", failed, concurrentCalls, first)
	}
	return nil
}
