package hub

import (
	"embed"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis key layout. Every key of one workshop carries the workshop id as
// its hash tag, so a Redis Cluster keeps them in one slot and each Lua
// script in lua/, which touches only one room's keys, is Cluster-safe:
//
//	wb:{<id>}:ws      string  the Workshop, JSON; the workshop exists while
//	                          this key does
//	wb:{<id>}:meta    hash    top (version), epoch, last (op id at top),
//	                          first (oldest version still in the log),
//	                          snapv (snapshot's version), opsfrom (the
//	                          oldest version whose op id is sure to be kept)
//	wb:{<id>}:log     stream  one entry per version, stream id "<v>-0",
//	                          field "e": the Entry, JSON, with its version
//	wb:{<id>}:ops     hash    op id -> version, trimmed with opv
//	wb:{<id>}:people  hash    participant id -> Participant, JSON
//	wb:{<id>}:snap    string  the newest snapshot's board
//	wb:{<id>}:online  hash    instance -> "<expiry, Redis ms> <ids JSON>":
//	                          who is online there; the key expires when
//	                          the last record does
//	wb:{<id>}:opv     zset    op id scored by its version: which ids to
//	                          trim from ops at a snapshot (see keepOps);
//	                          rooms made before it have none, and keep
//	                          their older ids
//	wb:code:<CODE>    string  join code -> workshop id (outside the tag,
//	                          as a code is looked up before its room is
//	                          known: on a cluster it lives in another slot,
//	                          so it is claimed, renewed and freed in calls
//	                          of its own, never in a room's script or
//	                          transaction; see CreateWorkshop)
//
// Appended entries are published on the channel wb:{<id>}:ch, of the
// room's slot.
func redisKeys(id string) []string {
	// Every store call names them: one string holds all eight, and each
	// key is a piece of it, which allocates two things per call, not ten.
	const head, tail = "wb:{", "}:"
	size := 0
	for _, name := range redisKeyNames {
		size += len(head) + len(id) + len(tail) + len(name)
	}
	var b strings.Builder
	b.Grow(size)
	keys := make([]string, 0, len(redisKeyNames))
	for _, name := range redisKeyNames {
		start := b.Len()
		b.WriteString(head)
		b.WriteString(id)
		b.WriteString(tail)
		b.WriteString(name)
		keys = append(keys, b.String()[start:])
	}
	return keys
}

// redisKeyNames end the keys of redisKeys, in order.
var redisKeyNames = [...]string{"ws", "meta", "log", "ops", "people", "snap", "online", "opv"}

// Indexes into redisKeys, in the order every room script receives them.
const (
	kWS = iota
	kMeta
	kLog
	kOps
	kPeople
	kSnap
	kOnline
	kOpv
)

func redisChannel(id string) string { return "wb:{" + id + "}:ch" }

func redisCodeKey(code string) string { return "wb:code:" + code }

// redisTimeout bounds the store's own calls that no caller's context
// bounds.
const redisTimeout = 5 * time.Second

// resyncNews is published on a room's channel for news that is not an
// entry (the workshop was deleted, who is online changed): subscribers
// resync, checking the store. delete.lua and online.lua publish it.
const resyncNews = "resync"

// Results of the room scripts, as the numbers they return.
const (
	luaOK        = 0
	luaDuplicate = 1 // the op id was accepted before
	luaConflict  = 2 // the top version is not the expected one
	luaNotFound  = 3 // the workshop is gone
	luaIgnored   = 4 // the snapshot is ahead of the log
	luaRewound   = 5 // the history is not the one the instance saw
)

// redisScripts are the scripts, in lua/: each room script is room.lua,
// which names the room's keys and defines ready, followed by its own file.
// Every script touches only the keys it is given, all of one room (one
// slot of a cluster), or one code. Scripts tell a room's instances news
// with publish, PUBLISH on one Redis and SPUBLISH on a cluster (sharded
// pub/sub, so that the news goes only to the node that owns the room's
// slot, not to every node); hence two sets.
type redisScripts struct {
	create, touch, del, append, head, snapshot, person, online, onlineRead *redis.Script
}

var (
	plainScripts   = newRedisScripts("PUBLISH")
	shardedScripts = newRedisScripts("SPUBLISH")
	scriptFreeCode = redis.NewScript(luaFile("free_code.lua"))
)

func newRedisScripts(publish string) *redisScripts {
	room := func(name string) *redis.Script {
		return redis.NewScript("local publish = '" + publish + "'\n" + luaFile("room.lua") + luaFile(name))
	}
	return &redisScripts{
		create: room("create.lua"), touch: room("touch.lua"), del: room("delete.lua"),
		append: room("append.lua"), head: room("head.lua"), snapshot: room("snapshot.lua"),
		person: room("person.lua"), online: room("online.lua"), onlineRead: room("online_read.lua"),
	}
}

//go:embed lua/*.lua
var luaFiles embed.FS

func luaFile(name string) string {
	b, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic("hub: missing Lua script " + name) // embedded at build time
	}
	return string(b)
}
