package hub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// RedisConfig says where the Redis store lives.
type RedisConfig struct {
	// URL is a redis:// or rediss:// URL, as redis.ParseURL reads it:
	// one Redis.
	URL string
	// Cluster, instead of URL, lists seed nodes (host:port) of a Redis
	// Cluster, 7.0 or later for sharded pub/sub. The store works the same
	// on both: each script and transaction touches the keys of one slot.
	Cluster []string
	// Retention is how long a new workshop's keys live before a first
	// Touch; DefaultRetention when zero. Every key a script makes gets
	// its workshop's expiry at once.
	Retention time.Duration
	// WaitReplicas, when above 0, is how many replicas must have an
	// appended op (Redis WAIT) before Append returns it, within
	// WaitTimeout (a second when zero); else Append fails and the op is
	// refused as unavailable, and its re-send is acknowledged once they
	// have it.
	WaitReplicas int
	WaitTimeout  time.Duration
}

// RedisStore keeps workshops in Redis, so that several instances can serve
// the same rooms: Redis orders each room's appends and carries the news of
// them between instances over pub/sub.
type RedisStore struct {
	// set at construction
	rdb     redis.UniversalClient // a *redis.Client, or a *redis.ClusterClient
	sc      *redisScripts         // plainScripts, or shardedScripts on a cluster
	ps      *redis.PubSub         // one Redis: the store's one subscriber connection; nil on a cluster
	keep    time.Duration         // retention of a new workshop
	wait    int                   // replicas an append waits for; 0 for none
	waitFor time.Duration
	log     *slog.Logger
	kick    chan struct{} // capacity 1: the rooms wanted on ps changed
	quit    chan struct{} // closed by Close
	wg      sync.WaitGroup
	once    sync.Once // closes the store

	shards map[int]*redisShard // cluster: slot -> its subscriber; owned by syncRooms

	mu    sync.Mutex                        // guards rooms
	rooms map[string]map[*redisSub]struct{} // channel -> local subscribers

	marksMu sync.Mutex           // guards marks
	marks   map[string]redisMark // workshop id -> its furthest point seen
}

var _ Store = (*RedisStore)(nil)

// OpenRedis connects to Redis and starts the store's subscriber; it fails
// when Redis does not answer.
func OpenRedis(ctx context.Context, cfg RedisConfig, log *slog.Logger) (*RedisStore, error) {
	rdb, where, err := dialRedis(cfg)
	if err != nil {
		return nil, err
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("reach redis at %s: %w", where, err)
	}
	if c, ok := rdb.(*redis.ClusterClient); ok {
		if err := checkClusterVersion(ctx, c); err != nil {
			rdb.Close()
			return nil, err
		}
	}
	warnRisky(ctx, rdb, log)
	s := &RedisStore{
		rdb: rdb, sc: plainScripts, log: log, keep: cmp.Or(cfg.Retention, DefaultRetention),
		wait: cfg.WaitReplicas, waitFor: cmp.Or(cfg.WaitTimeout, time.Second),
		kick: make(chan struct{}, 1), quit: make(chan struct{}),
		rooms: map[string]map[*redisSub]struct{}{}, marks: map[string]redisMark{},
	}
	s.wg.Add(1)
	if len(cfg.Cluster) > 0 {
		s.sc, s.shards = shardedScripts, map[int]*redisShard{}
	} else {
		s.ps = rdb.Subscribe(context.Background())
		s.wg.Add(1)
		go s.readNews(s.ps.ChannelWithSubscriptions(redis.WithChannelSize(newsBuffer)), nil)
	}
	go s.syncRooms()
	return s, nil
}

// warnRisky logs Redis settings under which acknowledged ops can be lost:
// no append-only file, or eviction of keys when memory runs short. Managed
// Redis services may refuse CONFIG; then nothing is said.
func warnRisky(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger) {
	if conf, err := rdb.ConfigGet(ctx, "appendonly").Result(); err == nil && conf["appendonly"] == "no" {
		log.Warn("redis has appendonly off: acknowledged ops are lost if it restarts")
	}
	conf, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if p := conf["maxmemory-policy"]; err == nil && p != "" && p != "noeviction" {
		log.Warn("redis may evict keys: a room that loses some starts a new history", "maxmemory-policy", p)
	}
}

// Close implements Store.
func (s *RedisStore) Close() error {
	err := errors.New("redis store already closed")
	s.once.Do(func() {
		close(s.quit) // syncRooms closes a cluster's subscribers as it ends
		if s.ps != nil {
			s.ps.Close()
		}
		s.wg.Wait()
		err = s.rdb.Close()
	})
	return err
}

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Memory implements MemoryReporter: Redis's used_memory and maxmemory
// (0 when it has no limit), from INFO memory; on a cluster, those of its
// fullest master, as a new workshop may land on any.
func (s *RedisStore) Memory(ctx context.Context) (used, limit int64, err error) {
	if c, ok := s.rdb.(*redis.ClusterClient); ok {
		return clusterMemory(ctx, c)
	}
	return redisMemory(ctx, s.rdb)
}

// redisMemory reads one node's used_memory and maxmemory.
func redisMemory(ctx context.Context, rdb redis.Cmdable) (used, limit int64, err error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, 0, fmt.Errorf("redis memory: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch name {
		case "used_memory":
			used, err = strconv.ParseInt(value, 10, 64)
		case "maxmemory":
			limit, err = strconv.ParseInt(value, 10, 64)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("redis memory: %s: %w", name, err)
		}
	}
	return used, limit, nil
}

// CreateWorkshop implements Store. The code is claimed first, on its own
// (on a cluster it is in another slot than the room): should the room's
// script fail, the code is freed again; an instance killed in between
// leaves a code naming no workshop, which lapses with its retention.
func (s *RedisStore) CreateWorkshop(ctx context.Context, w board.Workshop) error {
	data, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode workshop: %w", err)
	}
	ok, err := s.rdb.SetNX(ctx, redisCodeKey(w.Code), w.ID, s.keep).Result()
	if err != nil {
		return fmt.Errorf("claim join code: %w", err)
	}
	if !ok {
		return ErrCodeTaken
	}
	taken, err := s.sc.create.Run(ctx, s.rdb, redisKeys(w.ID), uuid.NewString(), data, s.keep.Milliseconds()).Int()
	if err == nil && taken == 1 {
		err = fmt.Errorf("workshop %s exists", w.ID)
	}
	if err != nil {
		s.freeCode(w.Code, w.ID)
		return fmt.Errorf("create workshop: %w", err)
	}
	return nil
}

// freeCode releases a join code if it still names the workshop; failing
// that, the code stays taken, which is harmless.
func (s *RedisStore) freeCode(code, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	if err := scriptFreeCode.Run(ctx, s.rdb, []string{redisCodeKey(code)}, id).Err(); err != nil {
		s.log.Warn("free join code", "workshop", id, "err", err)
	}
}

// Workshop implements Store.
func (s *RedisStore) Workshop(ctx context.Context, ref string) (board.Workshop, error) {
	data, err := s.rdb.Get(ctx, redisKeys(ref)[kWS]).Bytes()
	if errors.Is(err, redis.Nil) {
		var id string
		id, err = s.rdb.Get(ctx, redisCodeKey(ref)).Result()
		if err == nil {
			data, err = s.rdb.Get(ctx, redisKeys(id)[kWS]).Bytes()
		}
	}
	var w board.Workshop
	switch {
	case errors.Is(err, redis.Nil):
		return w, ErrNotFound
	case err != nil:
		return w, fmt.Errorf("read workshop: %w", err)
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return w, fmt.Errorf("decode workshop %s: %w", ref, err)
	}
	return w, nil
}

// DeleteWorkshop implements Store; like Workshop, it takes an id or a code.
// The code goes first: should the rest fail, the call can be repeated.
func (s *RedisStore) DeleteWorkshop(ctx context.Context, id string) error {
	w, err := s.Workshop(ctx, id)
	if err != nil {
		return err
	}
	if err := scriptFreeCode.Run(ctx, s.rdb, []string{redisCodeKey(w.Code)}, w.ID).Err(); err != nil {
		return fmt.Errorf("free join code: %w", err)
	}
	if err := s.sc.del.Run(ctx, s.rdb, redisKeys(w.ID), redisChannel(w.ID)).Err(); err != nil {
		return fmt.Errorf("delete workshop: %w", err)
	}
	s.forget(w.ID)
	return nil
}

// PutParticipant implements Store.
func (s *RedisStore) PutParticipant(ctx context.Context, workshopID string, p board.Participant) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode participant: %w", err)
	}
	res, err := s.sc.person.Run(ctx, s.rdb, redisKeys(workshopID), p.ID, data).Int()
	if err != nil {
		return fmt.Errorf("store participant: %w", err)
	}
	if res == luaNotFound {
		return ErrNotFound
	}
	return nil
}

// ForgetParticipants implements Store.
func (s *RedisStore) ForgetParticipants(ctx context.Context, workshopID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, redisKeys(workshopID)[kPeople], ids...).Err(); err != nil {
		return fmt.Errorf("forget participants: %w", err)
	}
	return nil
}

// Participants implements Store. They are listed in id order, as the
// embedded store lists them.
func (s *RedisStore) Participants(ctx context.Context, workshopID string) ([]board.Participant, error) {
	keys := redisKeys(workshopID)
	var exists *redis.IntCmd
	var all *redis.MapStringStringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, keys[kWS])
		all = p.HGetAll(ctx, keys[kPeople])
		return nil
	})
	if err := cmdsErr(err, exists, all); err != nil {
		return nil, fmt.Errorf("read participants: %w", err)
	}
	if exists.Val() == 0 {
		return nil, ErrNotFound
	}
	var out []board.Participant
	for id, data := range all.Val() {
		var p board.Participant
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return nil, fmt.Errorf("decode participant %s: %w", id, err)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b board.Participant) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// entryBufs hold entries encoded for Append. go-redis has written a
// command's arguments to the connection by the time the call returns, so
// the buffer is free again then.
var entryBufs = sync.Pool{New: func() any { return new([]byte) }}

// Append implements Store with one script: see lua/append.lua.
func (s *RedisStore) Append(ctx context.Context, workshopID string, expected int64, e board.Entry) (int64, error) {
	buf := entryBufs.Get().(*[]byte)
	tail := e.AppendJSONTail((*buf)[:0])
	defer func() { *buf = tail; entryBufs.Put(buf) }()
	saw, fresh := s.mark(workshopID), uuid.NewString()
	args := []any{fresh, e.ID, expected, tail, redisChannel(workshopID), e.Epoch, saw.epoch, saw.v, saw.id, s.wait > 0}
	var res []int64
	var err error
	if s.wait > 0 {
		res, err = s.appendWaiting(ctx, workshopID, args)
	} else {
		res, err = s.sc.append.Run(ctx, s.rdb, redisKeys(workshopID), args...).Int64Slice()
	}
	if err != nil {
		return 0, fmt.Errorf("append entry: %w", err)
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("append entry: unexpected reply %v", res)
	}
	switch v := res[1]; res[0] {
	case luaOK:
		s.saw(workshopID, redisMark{epoch: e.Epoch, v: v, id: e.ID})
		return v, nil
	case luaDuplicate:
		return v, ErrDuplicate
	case luaConflict:
		return v, ErrConflict
	case luaRewound:
		// A conflict at version 0, not at the top: what is above the
		// caller's board may be another history's, so a room reloads
		// rather than reading on from its own version.
		s.rewound(workshopID, saw, v, fresh)
		return 0, ErrConflict
	default:
		return 0, ErrNotFound
	}
}

// Head implements Store. It gives a room that lost its history a new one,
// and one whose history was rewound a new epoch (see redisMark).
func (s *RedisStore) Head(ctx context.Context, workshopID string) (Head, error) {
	saw := s.mark(workshopID)
	res, err := s.sc.head.Run(ctx, s.rdb, redisKeys(workshopID),
		uuid.NewString(), saw.epoch, saw.v, saw.id, redisChannel(workshopID)).Slice()
	if err != nil {
		return Head{}, fmt.Errorf("read head: %w", err)
	}
	if len(res) != 5 {
		return Head{}, fmt.Errorf("read head: unexpected reply %v", res)
	}
	if res[0] == int64(luaNotFound) {
		return Head{}, ErrNotFound
	}
	v, _ := res[1].(int64)
	epoch, _ := res[2].(string)
	last, _ := res[3].(string)
	if res[4] == int64(1) {
		s.rewound(workshopID, saw, v, epoch)
	}
	s.saw(workshopID, redisMark{epoch: epoch, v: v, id: last})
	return Head{V: v, Epoch: epoch}, nil
}

// Entries implements Store, reading the log and where it starts in one
// transaction.
func (s *RedisStore) Entries(ctx context.Context, workshopID string, after int64) ([]board.Entry, error) {
	keys := redisKeys(workshopID)
	var exists *redis.IntCmd
	var first *redis.StringCmd
	var rows *redis.XMessageSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, keys[kWS])
		first = p.HGet(ctx, keys[kMeta], "first")
		rows = p.XRange(ctx, keys[kLog], strconv.FormatInt(max(after+1, 0), 10), "+")
		return nil
	})
	if err := cmdsErr(err, exists, first, rows); err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	if exists.Val() == 0 {
		return nil, ErrNotFound
	}
	start := int64(1) // the oldest version in the log
	if f, err := first.Int64(); err == nil {
		start = f
	}
	if after+1 < start {
		return nil, ErrTrimmed
	}
	out := make([]board.Entry, 0, len(rows.Val()))
	for _, row := range rows.Val() {
		data, _ := row.Values["e"].(string)
		e, err := board.DecodeEntry([]byte(data))
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", row.ID, err)
		}
		if want := after + 1 + int64(len(out)); e.V != want {
			return nil, fmt.Errorf("log of %s holds version %d where %d belongs", workshopID, e.V, want)
		}
		out = append(out, e)
	}
	return out, nil
}

// OpVersion implements Store.
func (s *RedisStore) OpVersion(ctx context.Context, workshopID, opID string) (int64, error) {
	v, err := s.rdb.HGet(ctx, redisKeys(workshopID)[kOps], opID).Int64()
	switch {
	case errors.Is(err, redis.Nil):
		return 0, ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("read op version: %w", err)
	}
	return v, nil
}

// Snapshot implements Store.
func (s *RedisStore) Snapshot(ctx context.Context, workshopID string) (Snapshot, error) {
	keys := redisKeys(workshopID)
	var exists *redis.IntCmd
	var v *redis.StringCmd
	var snap *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, keys[kWS])
		v = p.HGet(ctx, keys[kMeta], "snapv")
		snap = p.Get(ctx, keys[kSnap])
		return nil
	})
	if err := cmdsErr(err, exists, v, snap); err != nil {
		return Snapshot{}, fmt.Errorf("read snapshot: %w", err)
	}
	if exists.Val() == 0 {
		return Snapshot{}, ErrNotFound
	}
	snapV, _ := v.Int64()
	data, _ := snap.Bytes()
	if snapV == 0 || data == nil {
		return Snapshot{}, nil
	}
	return Snapshot{V: snapV, Board: data}, nil
}

// PutSnapshot implements Store; it trims the log to keepLog entries before
// the snapshot, and the op ids to those of the keepOps versions before it.
// A snapshot older than the stored one is ignored; one ahead of the log,
// or whose op at its version is not the log's (made from a history this
// room no longer has), is refused.
func (s *RedisStore) PutSnapshot(ctx context.Context, workshopID string, snap Snapshot) error {
	res, err := s.sc.snapshot.Run(ctx, s.rdb, redisKeys(workshopID), snap.V, snap.Board, keepLog, snapshotLastID(snap.Board), opsKept).Int64Slice()
	if err != nil {
		return fmt.Errorf("store snapshot: %w", err)
	}
	if len(res) != 2 {
		return fmt.Errorf("store snapshot: unexpected reply %v", res)
	}
	switch res[0] {
	case luaNotFound:
		return ErrNotFound
	case luaIgnored:
		return fmt.Errorf("snapshot at version %d is ahead of the log (top %d)", snap.V, res[1])
	case luaRewound:
		return fmt.Errorf("snapshot at version %d is of another history than the log's (top %d)", snap.V, res[1])
	}
	return nil
}

// SetOnline implements Store. Records lapse by Redis's clock, so the
// instances' clocks need not agree. Other instances hear of a change to
// this instance's list; a record that lapses tells no one, and is noticed
// at their next Online.
func (s *RedisStore) SetOnline(ctx context.Context, workshopID, instance string, ids []string, ttl time.Duration) error {
	var list []byte
	if ms := ttl.Milliseconds(); len(ids) > 0 && ms > 0 {
		sorted := slices.Sorted(slices.Values(ids)) // so that an unchanged list compares equal
		var err error
		if list, err = json.Marshal(slices.Compact(sorted)); err != nil {
			return fmt.Errorf("encode online ids: %w", err)
		}
	}
	res, err := s.sc.online.Run(ctx, s.rdb, redisKeys(workshopID),
		instance, ttl.Milliseconds(), list, redisChannel(workshopID)).Int()
	if err != nil {
		return fmt.Errorf("record presence: %w", err)
	}
	if res == luaNotFound {
		return ErrNotFound
	}
	return nil
}

// Online implements Store.
func (s *RedisStore) Online(ctx context.Context, workshopID string) (map[string]bool, error) {
	res, err := s.sc.onlineRead.Run(ctx, s.rdb, redisKeys(workshopID)).Slice()
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("read presence: unexpected reply %v", res)
	}
	now, ok := res[0].(int64)
	all, ok2 := res[1].([]any)
	if !ok || !ok2 || len(all)%2 != 0 {
		return nil, fmt.Errorf("read presence: unexpected reply %v", res)
	}
	out := map[string]bool{}
	for i := 0; i < len(all); i += 2 {
		instance, _ := all[i].(string)
		rec, _ := all[i+1].(string)
		exp, list, ok := strings.Cut(rec, " ")
		expMs, err := strconv.ParseInt(exp, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("presence record of %s: %q", instance, rec)
		}
		if expMs <= now {
			continue
		}
		var ids []string
		if err := json.Unmarshal([]byte(list), &ids); err != nil {
			return nil, fmt.Errorf("presence record of %s: %w", instance, err)
		}
		for _, id := range ids {
			out[id] = true
		}
	}
	return out, nil
}

// cmdsErr is the first error of a transaction's commands, where a missing
// key or field (redis.Nil) is no error.
func cmdsErr(txErr error, cmds ...redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	if txErr != nil && !errors.Is(txErr, redis.Nil) {
		return txErr
	}
	return nil
}
