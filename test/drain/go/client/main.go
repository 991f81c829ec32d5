// Command drain_client is the grpc-go side of the drain tests: it puts calls in flight on
// a drain.DrainTest server, and reports how each one ended once the server drained.
//
// Usage:
//
//	drain_client -target unix:/path/sock -tag go [-sleep-ms 600] [-stream-count 8]
//	    [-stream-interval-ms 75]
//
// Protocol with the test driver (line based):
//
//  1. the client connects and starts Sleep, Hang and Stream calls tagged -tag, then
//     prints "STARTED";
//  2. the driver starts the drain and writes "DRAIN" to stdin; that instant is T;
//  3. the client waits until its connection leaves READY (it saw the GOAWAY), lets the
//     server's first drain phase pass (200 ms after T), then makes a new Sleep call on
//     the same ClientConn (tag <tag>-late) and one on a fresh ClientConn (<tag>-fresh);
//  4. once every call ended it prints one JSON object: for each call its status code
//     name, message and end time in ms after T; the Stream's message count; the time the
//     connection left READY.
//
// Exit status 0 unless the client itself failed (bad flags, no connection, stdin closed).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	drainpb "drain/drainpb"
)

// outcome is how one call ended.
type outcome struct {
	Code     string  `json:"code"`
	Message  string  `json:"message"`
	EndMs    float64 `json:"end_ms"`   // after T (negative: ended before the drain)
	Messages int     `json:"messages"` // Stream only
	Indexes  []int32 `json:"indexes"`  // Stream only
}

type report struct {
	Sleep            outcome `json:"sleep"`
	Hang             outcome `json:"hang"`
	Stream           outcome `json:"stream"`
	Late             outcome `json:"late"`
	Fresh            outcome `json:"fresh"`
	LeftReadyMs      float64 `json:"left_ready_ms"`
	StateAfterGoaway string  `json:"state_after_goaway"`
}

var (
	tMu    sync.Mutex
	tDrain time.Time // T; zero until the driver said DRAIN
)

func sinceT(at time.Time) float64 {
	tMu.Lock()
	defer tMu.Unlock()
	if tDrain.IsZero() {
		return -1
	}
	return float64(at.Sub(tDrain).Microseconds()) / 1000
}

func finish(o *outcome, err error) {
	st, _ := status.FromError(err)
	o.Code = st.Code().String()
	o.Message = st.Message()
	o.EndMs = sinceT(time.Now())
}

func dial(ctx context.Context, path string, block bool) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithInsecure(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}),
	}
	if block {
		opts = append(opts, grpc.WithBlock(), grpc.WithReturnConnectionError())
	}
	return grpc.DialContext(ctx, "passthrough:///localhost", opts...)
}

func main() {
	target := flag.String("target", "", "unix:/path/to/socket")
	tag := flag.String("tag", "go", "tag of the calls (server markers)")
	sleepMs := flag.Int("sleep-ms", 600, "Sleep call duration")
	streamCount := flag.Int("stream-count", 8, "Stream messages")
	streamInterval := flag.Int("stream-interval-ms", 75, "Stream interval")
	flag.Parse()
	if !strings.HasPrefix(*target, "unix:") {
		fmt.Fprintln(os.Stderr, "drain_client: -target unix:PATH is required")
		os.Exit(2)
	}
	path := strings.TrimPrefix(*target, "unix:")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	conn, err := dial(ctx, path, true)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drain_client: connect:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := drainpb.NewDrainTestClient(conn)

	// Every call gets a generous deadline: a hang would show as DEADLINE_EXCEEDED.
	callCtx, callCancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer callCancel()

	var rep report
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		_, err := client.Sleep(callCtx, &drainpb.SleepRequest{Tag: *tag, Ms: int32(*sleepMs)})
		finish(&rep.Sleep, err)
	}()
	go func() {
		defer wg.Done()
		_, err := client.Hang(callCtx, &drainpb.HangRequest{Tag: *tag})
		finish(&rep.Hang, err)
	}()
	go func() {
		defer wg.Done()
		s, err := client.Stream(callCtx, &drainpb.StreamRequest{Tag: *tag, Count: int32(*streamCount),
			IntervalMs: int32(*streamInterval)})
		for err == nil {
			var r *drainpb.Reply
			r, err = s.Recv()
			if err == nil {
				rep.Stream.Messages++
				rep.Stream.Indexes = append(rep.Stream.Indexes, r.Index)
			}
		}
		if err == io.EOF {
			err = nil
		}
		finish(&rep.Stream, err)
	}()
	fmt.Println("STARTED")

	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "DRAIN" {
		fmt.Fprintf(os.Stderr, "drain_client: expected DRAIN on stdin, got %q (%v)\n", line, err)
		os.Exit(1)
	}
	tMu.Lock()
	tDrain = time.Now()
	tMu.Unlock()

	// The GOAWAY makes grpc-go leave READY on this ClientConn.
	waitCtx, waitCancel := context.WithTimeout(context.Background(), 5*time.Second)
	for s := conn.GetState(); s == connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(waitCtx, s) {
			break
		}
	}
	waitCancel()
	rep.LeftReadyMs = sinceT(time.Now())
	rep.StateAfterGoaway = conn.GetState().String()
	if d := time.Until(tDrain.Add(200 * time.Millisecond)); d > 0 {
		time.Sleep(d)
	}

	// A new call on the ClientConn that saw the GOAWAY.
	lateCtx, lateCancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err = client.Sleep(lateCtx, &drainpb.SleepRequest{Tag: *tag + "-late", Ms: 10})
	lateCancel()
	finish(&rep.Late, err)

	// A fresh ClientConn: the listener is closed and its socket file removed.
	freshCtx, freshCancel := context.WithTimeout(context.Background(), 5*time.Second)
	if fresh, ferr := dial(freshCtx, path, false); ferr != nil {
		finish(&rep.Fresh, ferr)
	} else {
		_, err = drainpb.NewDrainTestClient(fresh).Sleep(freshCtx,
			&drainpb.SleepRequest{Tag: *tag + "-fresh", Ms: 10})
		finish(&rep.Fresh, err)
		fresh.Close()
	}
	freshCancel()

	wg.Wait()
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
}
