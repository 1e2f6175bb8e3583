package hub

import (
	"strings"
	"testing"
)

// TestLuaScriptsPublishResyncNews: the scripts that tell subscribers to
// resync publish the very word the subscription listens for.
func TestLuaScriptsPublishResyncNews(t *testing.T) {
	for _, name := range []string{"delete.lua", "online.lua"} {
		if want := "redis.call(publish, ARGV"; !strings.Contains(luaFile(name), want) {
			t.Errorf("%s: publishes nothing", name)
		}
		if want := "'" + resyncNews + "'"; !strings.Contains(luaFile(name), want) {
			t.Errorf("%s does not publish %s", name, want)
		}
	}
}
