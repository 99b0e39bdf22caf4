package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func TestFramesTmp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(context.Background(), path)
	if err != nil { t.Fatal(err) }
	defer s.Close()
	// checkpoints on
	ctx := context.Background()
	app := &hookline.Application{Name: "a"}
	s.CreateApplication(ctx, app)
	s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "http://x.y"})
	payload := make([]byte, 1024)
	for i := range payload { payload[i] = 'x' }
	payload[0], payload[1], payload[1022], payload[1023] = '{', '}', ' ', ' '
	fi0, _ := os.Stat(path + "-wal")
	st0 := s.Stats()
	var wg sync.WaitGroup
	t0 := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 600 {
				s.CreateMessage(ctx, &hookline.Message{AppID: app.ID, EventType: "x", Payload: payload})
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	fi, _ := os.Stat(path + "-wal")
	st := s.Stats()
	c := st.Commits - st0.Commits
	walSizeHook(path)
	fmt.Printf("commits %d ops/commit %.1f walbytes/commit %d frames/commit %.1f commit %v total %v\n", c, float64(st.Ops-st0.Ops)/float64(c), (fi.Size()-fi0.Size())/c, float64(fi.Size()-fi0.Size())/float64(c)/4120, (st.CommitTime-st0.CommitTime)/time.Duration(c), el)


}
func init() { walSizeHook = func(p string) { fi, _ := os.Stat(p + "-wal"); fmt.Println("wal size", fi.Size()) } }
var walSizeHook func(string)
