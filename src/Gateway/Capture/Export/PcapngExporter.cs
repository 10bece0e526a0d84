namespace Gateway.Capture.Export;

/// <summary>
/// Streams captured sessions as a pcapng file: each session a synthetic but valid conversation (see
/// <see cref="Conversation"/>), packets in time order, so that Wireshark's "Follow TCP Stream" shows
/// exactly the captured bytes.
/// </summary>
internal sealed class PcapngExporter(SessionHistory history)
{
    public const string ContentType = "application/x-pcapng";

    public async Task WriteSessionAsync(long sessionId, Stream output, CancellationToken cancellationToken)
    {
        var session = await history.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        await WriteSessionAsync(session, history.StreamAsync(new MessageQuery { SessionId = sessionId }, cancellationToken), output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One session whose messages come from elsewhere (a cluster's shared history).</summary>
    public Task WriteSessionAsync(Sessions.SessionInfo session, IAsyncEnumerable<Traffic.MessageInfo> messages, Stream output, CancellationToken cancellationToken) =>
        WriteAsync([session], messages, output, cancellationToken);

    /// <summary>Every session that overlaps the range (of one listener, if given), with its messages inside the range.</summary>
    public async Task WriteRangeAsync(string? listenerId, DateTimeOffset? from, DateTimeOffset? to, Stream output, CancellationToken cancellationToken)
    {
        var sessions = await history.SessionsBetweenAsync(listenerId, from, to, cancellationToken).ConfigureAwait(false);
        await WriteAsync(sessions, history.StreamAsync(new MessageQuery { ListenerId = listenerId, From = from, To = to }, cancellationToken), output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sessions whose messages come from elsewhere (a cluster's shared history), the messages in time order.</summary>
    public Task WriteSessionsAsync(IReadOnlyList<Sessions.SessionInfo> sessions, IAsyncEnumerable<Traffic.MessageInfo> messages, Stream output, CancellationToken cancellationToken) =>
        WriteAsync(sessions, messages, output, cancellationToken);

    private static async Task WriteAsync(IReadOnlyList<Sessions.SessionInfo> sessions, IAsyncEnumerable<Traffic.MessageInfo> messages, Stream output, CancellationToken cancellationToken)
    {
        var writer = new PcapngWriter(output);
        await writer.WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
        var conversations = sessions.ToDictionary(s => s.Id, Conversation.For);
        var toOpen = new Queue<Conversation>(conversations.Values.OrderBy(c => c.Session.OpenedAt));
        var toClose = new Queue<Conversation>(conversations.Values.Where(c => c.Session.ClosedAt is not null).OrderBy(c => c.Session.ClosedAt));

        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (!conversations.TryGetValue(message.SessionId, out var conversation))
            {
                continue; // its session was removed by retention
            }

            while (toOpen.TryPeek(out var next) && next.Session.OpenedAt <= message.At)
            {
                await OpenAsync(toOpen.Dequeue(), writer, cancellationToken).ConfigureAwait(false);
            }

            while (toClose.TryPeek(out var next) && next.Session.ClosedAt < message.At && next.Session.Id != message.SessionId)
            {
                await CloseAsync(toClose.Dequeue(), writer, cancellationToken).ConfigureAwait(false);
            }

            await OpenAsync(conversation, writer, cancellationToken).ConfigureAwait(false);
            await conversation.MessageAsync(writer, message, cancellationToken).ConfigureAwait(false);
        }

        foreach (var conversation in toOpen)
        {
            await OpenAsync(conversation, writer, cancellationToken).ConfigureAwait(false);
        }

        foreach (var conversation in toClose)
        {
            await CloseAsync(conversation, writer, cancellationToken).ConfigureAwait(false);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task OpenAsync(Conversation conversation, PcapngWriter writer, CancellationToken cancellationToken) =>
        conversation.Opened ? Task.CompletedTask : conversation.OpenAsync(writer, cancellationToken);

    private static async Task CloseAsync(Conversation conversation, PcapngWriter writer, CancellationToken cancellationToken)
    {
        if (!conversation.Closed)
        {
            await OpenAsync(conversation, writer, cancellationToken).ConfigureAwait(false);
            await conversation.CloseAsync(writer, cancellationToken).ConfigureAwait(false);
        }
    }
}
