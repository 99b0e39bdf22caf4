package readcache

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	var c Cache[int]
	if _, _, ok := c.Get("a"); ok {
		t.Fatal("an empty cache has a value")
	}
	_, gen, _ := c.Get("a")
	c.Put("a", 1, gen)
	if v, _, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get = %d, %v; want 1, true", v, ok)
	}

	// A read that began before an invalidation is not kept.
	_, gen, _ = c.Get("b")
	c.Invalidate()
	c.Put("b", 2, gen)
	if _, _, ok := c.Get("b"); ok {
		t.Fatal("a value read before Invalidate was kept")
	}
	if _, _, ok := c.Get("a"); ok {
		t.Fatal("Invalidate kept a value")
	}
	_, gen, _ = c.Get("b")
	c.Put("b", 2, gen)
	if v, _, ok := c.Get("b"); !ok || v != 2 {
		t.Fatalf("Get after a fresh read = %d, %v; want 2, true", v, ok)
	}
}

func TestCacheMaxAge(t *testing.T) {
	c := Cache[int]{MaxAge: time.Nanosecond}
	_, gen, _ := c.Get("a")
	c.Put("a", 1, gen)
	time.Sleep(time.Millisecond)
	if _, _, ok := c.Get("a"); ok {
		t.Fatal("an item older than MaxAge was returned")
	}
}

func TestCacheBounded(t *testing.T) {
	var c Cache[int]
	for i := range maxItems + 10 {
		_, gen, _ := c.Get("")
		c.Put(string(rune(i)), i, gen)
	}
	if n := len(c.items); n > maxItems {
		t.Fatalf("the cache holds %d items, more than %d", n, maxItems)
	}
}
