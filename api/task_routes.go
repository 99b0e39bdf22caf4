package api

// taskTable lists the operations of background tasks and of the work that
// runs as one: recover (in table), replay-missing, bulk-replay,
// expunge-all-contents, and bulk-expunge, which does not.
func (s *Server) taskTable() []*route {
	const app, ep = "/api/v1/app/{app_id}", "/api/v1/app/{app_id}/endpoint/{endpoint_id}"
	const tag = "Background Task"
	return []*route{
		{Method: "GET", Path: "/api/v1/background-task", ID: "v1.background-task.list", Tag: tag, Summary: "List background tasks",
			Doc:    "Lists the background tasks of the last 90 days, by creation: every application's for an admin token, its own application's for an application's token.",
			Access: appRead, Out: listResponse[backgroundTaskOut]{}, Status: 200,
			Query: params(
				param{"status", "string", "Only tasks in this status: running, finished or failed."},
				param{"task", "string", "Only tasks of this type: " + taskTypeList + "."},
				pLimit, pIterator, pOrder),
			handle: s.listBackgroundTasks},
		{Method: "GET", Path: "/api/v1/background-task/{task_id}", ID: "v1.background-task.get", Tag: tag, Summary: "Get a background task",
			Doc:    "Gets a background task: its status and, in data, its progress and result (messagesSent, messagesPurged; error when it failed).",
			Access: appRead, Out: backgroundTaskOut{}, Status: 200, handle: s.getBackgroundTask},
		{Method: "POST", Path: ep + "/replay-missing", ID: "v1.endpoint.replay-missing", Tag: "Endpoint", Summary: "Replay missing messages",
			Doc: "Starts a background task that sends the endpoint every message created in [since, until) that its event-type and channel filters take (as they are now) and that was never sent to it. " +
				"At most 14 days back. The task's data counts messagesSent.",
			Access: appSend, In: replayIn{}, Out: replayOut{}, Status: 202, handle: s.replayMissing},
		{Method: "POST", Path: ep + "/bulk-replay", ID: "v1.endpoint.bulk-replay", Tag: "Endpoint", Summary: "Replay messages sent to an endpoint",
			Doc: "Starts a background task that sends again, with one manual attempt each, the messages created in [since, until) that were sent to the endpoint (succeeded or not) and match the filters. " +
				"At most 14 days back. The task's data counts messagesSent.",
			Access: appSend, In: bulkReplayIn{}, Out: replayOut{}, Status: 202, handle: s.bulkReplay},
		{Method: "POST", Path: app + "/msg/expunge-all-contents", ID: "v1.message.expunge-all-contents", Tag: "Message",
			Summary: "Delete every message payload of an application",
			Doc:     "Starts a background task that expunges the payload of every message of the application created before the call. The task's data counts messagesPurged.",
			Access:  appScoped, BodyOptional: true, Out: expungeAllContentsOut{}, Status: 202, handle: s.expungeAllContents},
		{Method: "POST", Path: app + "/msg/bulk-expunge", ID: "v1.message.bulk-expunge-content", Tag: "Message",
			Summary: "Delete the payloads of messages",
			Doc:     "Expunges the payloads of the messages named by id or eventId, at once (no task), and tells for each whether it was expunged or not found.",
			Access:  appScoped, In: bulkExpungeIn{}, Out: bulkExpungeOut{}, Status: 200, handle: s.bulkExpunge},
	}
}
