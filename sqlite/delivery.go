package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const deliveryCols = `d.id, d.app_id, d.message_id, d.endpoint_id, d.status, d.trigger_type, d.attempts,
	d.next_attempt_at, d.created_at, d.updated_at`

// deliveryRow holds the scan targets of deliveryCols.
type deliveryRow struct {
	d    hookline.Delivery
	next sql.NullInt64
	c, u int64
}

func (r *deliveryRow) dest() []any {
	return []any{&r.d.ID, &r.d.AppID, &r.d.MessageID, &r.d.EndpointID, &r.d.Status, &r.d.Trigger,
		&r.d.Attempts, &r.next, &r.c, &r.u}
}

func (r *deliveryRow) delivery() hookline.Delivery {
	d := r.d
	d.NextAttemptAt = timePtrOf(r.next)
	d.CreatedAt, d.UpdatedAt = fromMicros(r.c), fromMicros(r.u)
	return d
}

// ListDeliveriesByMessage lists the deliveries of the application's message
// with their endpoints, by endpoint id.
func (s *Store) ListDeliveriesByMessage(ctx context.Context, appID, msgID string, opts hookline.ListOptions) (hookline.Page[*hookline.DeliveryView], error) {
	if _, err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.DeliveryView]{}, err
	}
	query, args, n := newQuery().ListDeliveriesByMessage(`SELECT `+deliveryCols+`, `+sqlbuild.Prefixed("e", sqlbuild.ShownEndpointCols)+
		` FROM `+sqlbuild.Destinations+` e JOIN deliveries d ON d.endpoint_id = e.id`, appID, msgID, opts)
	return list(ctx, s.rdb, query, args, n, scanDeliveryView)
}

// scanDeliveryView scans a row of deliveryCols and the columns of its
// endpoint the API shows (sqlbuild.ShownEndpointCols).
func scanDeliveryView(sc scanner) (*hookline.DeliveryView, error) {
	var dr deliveryRow
	var er endpointRow
	if err := sc.Scan(append(dr.dest(), er.shownDest()...)...); err != nil {
		return nil, err
	}
	ep, err := er.shown()
	if err != nil {
		return nil, err
	}
	return &hookline.DeliveryView{Delivery: dr.delivery(), Endpoint: *ep}, nil
}

// ListMessagesByEndpoint lists the messages sent to the application's
// endpoint with the state of their delivery, by message id.
func (s *Store) ListMessagesByEndpoint(ctx context.Context, appID, endpointID string, f hookline.EndpointMessageFilter) (hookline.Page[*hookline.EndpointMessage], error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return hookline.Page[*hookline.EndpointMessage]{}, err
	}
	query, args, n := newQuery().ListMessagesByEndpoint(`SELECT `+sqlbuild.Prefixed("m", messageCols)+`, `+deliveryCols+
		` FROM deliveries d JOIN messages m ON m.seq = d.msg_seq`, appID, endpointID, f)
	return list(ctx, s.rdb, query, args, n, func(sc scanner) (*hookline.EndpointMessage, error) {
		var mr messageRow
		var dr deliveryRow
		if err := sc.Scan(append(mr.dest(), dr.dest()...)...); err != nil {
			return nil, err
		}
		m, err := mr.message()
		if err != nil {
			return nil, err
		}
		return &hookline.EndpointMessage{Message: *m, Delivery: dr.delivery()}, nil
	})
}
