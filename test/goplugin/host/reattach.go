package main

// Debug (reattach) mode, driven through go-plugin 1.0.1's ClientConfig.Reattach:
//
//	goplugin_host -plugin PATH -reattach [-args "--debug"]
//
// Steps:
//
//	reattach-line        start the plugin WITHOUT the magic cookie and with the debug
//	                     arguments (-args, default "--debug"); stdout holds the human
//	                     line and "\tTF_REATTACH_PROVIDERS='<json>'"; the JSON has one
//	                     entry with Protocol grpc, ProtocolVersion 1, Pid = the child's
//	                     pid, Test true, Addr {unix, <existing socket, mode 0600>}
//	reattach-dispense    plugin.NewClient{Reattach: ...} from that JSON (as Terraform
//	                     builds it), Dispense("kv"), Put/Get over plaintext
//	reattach-disconnect  close the host's connection (no Kill: a reattached client does
//	                     not own the process); the plugin keeps running
//	reattach-again       a second reattach sees the value the first one stored
//	reattach-sigterm     SIGTERM: exit status 0 within -kill-limit, socket removed,
//	                     nothing more on stdout than the empty line that ends the text

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/ioutil"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"goplugin/kvplugin"
)

// reattachEntry is one value of TF_REATTACH_PROVIDERS, as Terraform decodes it.
type reattachEntry struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct {
		Network string
		String  string
	}
}

// unquoteShell undoes a POSIX single-quoted word ('...' with '\'' for a quote).
func unquoteShell(s string) (string, error) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", fmt.Errorf("not a single-quoted shell word: %q", s)
	}
	return strings.ReplaceAll(s[1:len(s)-1], `'\''`, `'`), nil
}

func reattachChecks(rep *reporter, sink *logSink, path string, args []string) {
	if len(args) == 0 {
		args = []string{"--debug"}
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLUGIN_") && !strings.HasPrefix(kv, kvplugin.MagicCookieKey+"=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	// Own pipes (not StdoutPipe): cmd.Wait must not close them while they are read.
	outR, outW, err1 := os.Pipe()
	errR, errW, err2 := os.Pipe()
	if err1 != nil || err2 != nil {
		rep.fail("reattach-line", fmt.Errorf("pipe: %v %v", err1, err2))
		return
	}
	cmd.Stdout = outW
	cmd.Stderr = errW
	err := cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		rep.fail("reattach-line", fmt.Errorf("cannot start the plugin: %v", err))
		return
	}
	pid := cmd.Process.Pid
	trackPid(pid, true)
	var sockPath string
	defer func() {
		syscall.Kill(pid, syscall.SIGKILL) // no-op once it exited
		if sockPath != "" {
			os.Remove(sockPath)
		}
	}()
	go func() {
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			sink.line("[plugin stderr] " + sc.Text())
		}
	}()

	// stdout: lines up to the reattach line, then whatever else arrives until EOF.
	lineCh := make(chan string, 1)
	restCh := make(chan string, 1)
	go func() {
		br := bufio.NewReader(outR)
		var seen []string
		for {
			l, err := br.ReadString('\n')
			if strings.HasPrefix(l, "\tTF_REATTACH_PROVIDERS=") {
				lineCh <- l
				break
			}
			seen = append(seen, l)
			if err != nil {
				lineCh <- fmt.Sprintf("<EOF after %q>", seen)
				restCh <- ""
				return
			}
		}
		rest, _ := ioutil.ReadAll(br)
		restCh <- string(rest)
	}()
	exitCh := make(chan *os.ProcessState, 1)
	go func() {
		cmd.Wait()
		trackPid(pid, false)
		exitCh <- cmd.ProcessState
	}()

	var entry reattachEntry
	ok := rep.step("reattach-line", func() (string, error) {
		var line string
		select {
		case line = <-lineCh:
		case <-time.After(startTimeout):
			return "", fmt.Errorf("no TF_REATTACH_PROVIDERS line within %v", startTimeout)
		}
		if !strings.HasPrefix(line, "\tTF_REATTACH_PROVIDERS=") {
			return "", fmt.Errorf("stdout has no reattach line: %s", line)
		}
		word := strings.TrimSuffix(strings.TrimPrefix(line, "\tTF_REATTACH_PROVIDERS="), "\n")
		text, err := unquoteShell(word)
		if err != nil {
			return "", err
		}
		var all map[string]reattachEntry
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&all); err != nil {
			return "", fmt.Errorf("JSON %s: %v", text, err)
		}
		if len(all) != 1 {
			return "", fmt.Errorf("want one plugin in %s", text)
		}
		var name string
		for name, entry = range all {
		}
		switch {
		case entry.Protocol != "grpc":
			return "", fmt.Errorf("Protocol %q, want grpc", entry.Protocol)
		case entry.ProtocolVersion != kvplugin.ProtocolVersion:
			return "", fmt.Errorf("ProtocolVersion %d, want %d", entry.ProtocolVersion, kvplugin.ProtocolVersion)
		case entry.Pid != pid:
			return "", fmt.Errorf("Pid %d, the child is %d", entry.Pid, pid)
		case !entry.Test:
			return "", errors.New("Test is false")
		case entry.Addr.Network != "unix":
			return "", fmt.Errorf("Addr.Network %q, want unix", entry.Addr.Network)
		}
		sockPath = entry.Addr.String
		fi, err := os.Lstat(sockPath)
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0600 {
			return "", fmt.Errorf("%s: mode %v, want a socket with 0600", sockPath, fi.Mode())
		}
		return fmt.Sprintf("name %q, pid %d, %s", name, pid, sockPath), nil
	})
	if !ok {
		return
	}

	attach := func() (*plugin.Client, *kvplugin.Client, error) {
		logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Trace, Output: sink, JSONFormat: true})
		client := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  kvplugin.Handshake,
			Plugins:          plugin.PluginSet{kvplugin.PluginName: &kvplugin.Plugin{}},
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			Logger:           logger,
			Reattach: &plugin.ReattachConfig{
				Protocol: plugin.Protocol(entry.Protocol),
				Addr:     &net.UnixAddr{Net: entry.Addr.Network, Name: entry.Addr.String},
				Pid:      entry.Pid,
			},
		})
		var raw interface{}
		err := withTimeout(rpcTimeout, "reattach", func() error {
			proto, err := client.Client()
			if err != nil {
				return err
			}
			raw, err = proto.Dispense(kvplugin.PluginName)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		kv, isKV := raw.(*kvplugin.Client)
		if !isKV {
			return nil, nil, fmt.Errorf("Dispense returned %T", raw)
		}
		return client, kv, nil
	}
	alive := func() error {
		select {
		case st := <-exitCh:
			exitCh <- st
			return fmt.Errorf("the plugin exited: %v", st)
		default:
		}
		return syscall.Kill(pid, 0)
	}

	var first *kvplugin.Client
	ok = rep.step("reattach-dispense", func() (string, error) {
		_, kv, err := attach()
		if err != nil {
			return "", err
		}
		first = kv
		if err := put(kv.KV, "debug-session", []byte("kept"), 0); err != nil {
			return "", err
		}
		if err := expectValue(kv.KV, "debug-session", []byte("kept")); err != nil {
			return "", err
		}
		return "plaintext reattach, Put/Get", nil
	})
	if !ok {
		return
	}

	ok = rep.step("reattach-disconnect", func() (string, error) {
		if err := first.Conn.Close(); err != nil {
			return "", fmt.Errorf("closing the connection: %v", err)
		}
		// Give a plugin that wrongly exits with its last client the time to do so, then
		// ask the kernel: it is still there and still listening.
		time.Sleep(300 * time.Millisecond)
		if err := alive(); err != nil {
			return "", err
		}
		conn, err := net.DialTimeout("unix", sockPath, rpcTimeout)
		if err != nil {
			return "", fmt.Errorf("socket no longer accepts: %v", err)
		}
		conn.Close()
		return "still running after the host disconnected", nil
	})
	if !ok {
		return
	}

	ok = rep.step("reattach-again", func() (string, error) {
		_, kv, err := attach()
		if err != nil {
			return "", err
		}
		defer kv.Conn.Close()
		if err := expectValue(kv.KV, "debug-session", []byte("kept")); err != nil {
			return "", err
		}
		return "state of the first session still there", nil
	})
	if !ok {
		return
	}

	rep.step("reattach-sigterm", func() (string, error) {
		t0 := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return "", err
		}
		var st *os.ProcessState
		select {
		case st = <-exitCh:
		case <-time.After(*flagKillLimit):
			return "", fmt.Errorf("still running %v after SIGTERM", *flagKillLimit)
		}
		if !st.Success() {
			return "", fmt.Errorf("exit after SIGTERM was %v, want status 0", st)
		}
		after := time.Since(t0)
		if _, err := os.Lstat(sockPath); err == nil {
			return "", fmt.Errorf("socket file %s left behind", sockPath)
		}
		select {
		case rest := <-restCh:
			// The instructions end with an empty line; after it only the example's own
			// "kv: put KEY" lines (debug mode leaves the application's stdout alone).
			extra := false
			for _, l := range strings.Split(strings.TrimPrefix(rest, "\n"), "\n") {
				extra = extra || (l != "" && !strings.HasPrefix(l, "kv: put "))
			}
			if !strings.HasPrefix(rest, "\n") || extra {
				return "", fmt.Errorf("more on stdout after the reattach line: %q", rest)
			}
		case <-time.After(2 * time.Second):
			return "", errors.New("stdout still open 2 s after exit")
		}
		return "exit 0 after " + ms(after) + ", socket removed", nil
	})
}
