package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/winnow-forensics/winnow/triage"
)

// Task types, noun:verb, routed by asynq's ServeMux.
const (
	TypeItemAnalyze    = "item:analyze"
	TypeHashSetImport  = "hashset:import"
	TypeItemsReconcile = "items:reconcile"
	TypeEvidenceSweep  = "evidence:sweep"
)

// Queue is the asynq queue every Winnow task goes to.
const Queue = "winnow"

// AnalyzePayload is item:analyze's payload.
type AnalyzePayload struct {
	ItemID int64 `json:"item_id"`
}

// ImportPayload is hashset:import's payload.
type ImportPayload struct {
	SetID int64 `json:"set_id"`
	Rev   int64 `json:"rev"`
}

// AnalyzeTaskID is the deterministic task id of an item's analysis, so
// an item is in the queue at most once however often it is enqueued.
func AnalyzeTaskID(itemID int64) string { return "item:" + strconv.FormatInt(itemID, 10) }

// NewAnalyzeTask returns item:analyze for an item.
func NewAnalyzeTask(itemID int64) *asynq.Task {
	b, _ := json.Marshal(AnalyzePayload{ItemID: itemID})
	return asynq.NewTask(TypeItemAnalyze, b, asynq.TaskID(AnalyzeTaskID(itemID)), asynq.Queue(Queue),
		asynq.MaxRetry(25), asynq.Timeout(30*time.Minute))
}

// NewImportTask returns hashset:import for revision rev of a set.
func NewImportTask(setID, rev int64) *asynq.Task {
	b, _ := json.Marshal(ImportPayload{SetID: setID, Rev: rev})
	return asynq.NewTask(TypeHashSetImport, b, asynq.TaskID(fmt.Sprintf("hashset:%d:%d", setID, rev)), asynq.Queue(Queue),
		asynq.MaxRetry(10), asynq.Timeout(2*time.Hour))
}

// NewReconcileTask returns items:reconcile. Its fixed id keeps one in the
// queue at a time however many workers tick.
func NewReconcileTask() *asynq.Task {
	return asynq.NewTask(TypeItemsReconcile, nil, asynq.TaskID("items:reconcile"), asynq.Queue(Queue),
		asynq.MaxRetry(0), asynq.Timeout(5*time.Minute))
}

// NewSweepTask returns evidence:sweep, the orphan collection. Its fixed id
// keeps one in the queue at a time however many workers tick.
func NewSweepTask() *asynq.Task {
	return asynq.NewTask(TypeEvidenceSweep, nil, asynq.TaskID("evidence:sweep"), asynq.Queue(Queue),
		asynq.MaxRetry(0), asynq.Timeout(time.Hour))
}

// RedisConfig says where the queue's Redis is.
type RedisConfig struct {
	Addr     string
	Password string
	DB       int
}

func (r RedisConfig) opt() asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: r.Addr, Password: r.Password, DB: r.DB, DialTimeout: 3 * time.Second,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
}

// Client enqueues tasks. It satisfies the API's Enqueuer.
type Client struct {
	c   *asynq.Client
	ins *asynq.Inspector
}

// NewClient returns a client of the queue at r.
func NewClient(r RedisConfig) *Client {
	return &Client{c: asynq.NewClient(r.opt()), ins: asynq.NewInspector(r.opt())}
}

// Close closes the connections.
func (c *Client) Close() error {
	c.ins.Close()
	return c.c.Close()
}

// EnqueueAnalyze queues item:analyze. An item already queued or running is
// left as it is; one whose earlier task was archived (retries exhausted) is
// queued afresh.
func (c *Client) EnqueueAnalyze(ctx context.Context, itemID int64) error {
	return c.enqueue(ctx, NewAnalyzeTask(itemID), AnalyzeTaskID(itemID))
}

// EnqueueImport queues hashset:import.
func (c *Client) EnqueueImport(ctx context.Context, setID, rev int64) error {
	return c.enqueue(ctx, NewImportTask(setID, rev), fmt.Sprintf("hashset:%d:%d", setID, rev))
}

func (c *Client) enqueue(ctx context.Context, t *asynq.Task, id string) error {
	_, err := c.c.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		info, ierr := c.ins.GetTaskInfo(Queue, id)
		if ierr != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
			return nil // queued, running or waiting for a retry
		}
		if err := c.ins.DeleteTask(Queue, id); err != nil {
			return queueError(err)
		}
		_, err = c.c.EnqueueContext(ctx, t)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return nil
		}
	}
	return queueError(err)
}

// QueueDepth returns the number of tasks per state (for the metrics).
func (c *Client) QueueDepth(ctx context.Context) (map[string]int, error) {
	qi, err := c.ins.GetQueueInfo(Queue)
	if err != nil {
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return map[string]int{"pending": 0, "active": 0, "scheduled": 0, "retry": 0, "archived": 0}, nil
		}
		return nil, queueError(err)
	}
	return map[string]int{"pending": qi.Pending, "active": qi.Active, "scheduled": qi.Scheduled, "retry": qi.Retry, "archived": qi.Archived}, nil
}

// Ping checks that Redis answers (for /readyz).
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.ins.Queues()
	return queueError(err)
}

// queueError makes Redis connection failures EUNAVAILABLE.
func queueError(err error) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	if errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "i/o timeout") || strings.Contains(err.Error(), "LOADING") {
		return fmt.Errorf("task queue: %w", errors.Join(err, triage.Errorf(triage.EUNAVAILABLE, "the task queue is unavailable; retry later")))
	}
	return fmt.Errorf("task queue: %w", err)
}
