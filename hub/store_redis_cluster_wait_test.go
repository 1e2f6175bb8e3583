package hub

import (
	"errors"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisClusterWaitsOnTheRoomsMaster: with WaitReplicas, the WAIT of
// an append goes to the master of the room's slot, on the connection that
// ran the append. Only one of the three masters has a replica, so an
// append waiting for one replica is acknowledged in the rooms of that
// master and refused as too few replicas in every other: a WAIT sent to
// any other node, or on another connection, would get one of those wrong.
func TestRedisClusterWaitsOnTheRoomsMaster(t *testing.T) {
	addrs := startRedisCluster(t)
	ctx := t.Context()
	master := redis.NewClient(&redis.Options{Addr: addrs[0]})
	defer master.Close()
	id, err := master.Do(ctx, "CLUSTER", "MYID").Text()
	if err != nil {
		t.Fatal(err)
	}
	server, _ := exec.LookPath("redis-server")
	cli, _ := exec.LookPath("redis-cli")
	replica, _ := startClusterNode(t, server, t.TempDir())
	out, err := exec.Command(cli, "--cluster", "add-node", replica, addrs[0], "--cluster-slave", "--cluster-master-id", id).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster add-node: %v\n%s", err, out)
	}
	waitRedis(t, replica, func(c *redis.Client) bool {
		repl, err := c.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(repl, "master_link_status:up")
	})

	s, err := OpenRedis(ctx, RedisConfig{Cluster: addrs, WaitReplicas: 1, WaitTimeout: 300 * time.Millisecond},
		slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // after the workshops' cleanups
	shards, err := master.ClusterShards(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	owner := func(slot int) string { // the address of the slot's master
		for _, sh := range shards {
			for _, r := range sh.Slots {
				if slot >= int(r.Start) && slot <= int(r.End) {
					for _, n := range sh.Nodes {
						if n.Role == "master" {
							return n.IP + ":" + strconv.Itoa(int(n.Port))
						}
					}
				}
			}
		}
		return ""
	}
	acked, refused := 0, 0
	for i := 0; i < 30 || acked == 0 || refused == 0; i++ {
		if i == 200 {
			t.Fatalf("200 rooms, %d on the master with a replica, %d elsewhere: the slots are not spread", acked, refused)
		}
		w := storeWorkshop(t, s)
		onIt := owner(redisSlot(redisChannel(w.ID))) == addrs[0]
		_, err := s.Append(ctx, w.ID, 0, storeEntry(i))
		switch {
		case onIt && err != nil:
			t.Errorf("room %d, on the master with a replica: append refused: %v", i, err)
		case !onIt && !errors.Is(err, errTooFewReplicas):
			t.Errorf("room %d, on a master with no replica: append gave %v, want too few replicas", i, err)
		}
		if onIt {
			acked++
		} else {
			refused++
		}
	}
	t.Logf("%d appends acknowledged on the master with a replica, %d refused elsewhere", acked, refused)
}
