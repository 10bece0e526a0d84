using System.Collections.Concurrent;
using Gateway.Capture;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Decoding.Wireshark;

/// <summary>
/// Live summaries for sessions read by <c>wireshark</c>: tshark is a process per run, so instead of one run
/// per message the decoding worker notes which sessions have new messages and this worker, once a second,
/// dissects each such session's new messages from the capture store (with the session's first messages, so
/// that Wireshark sees how it began) and publishes their summaries (tshark's Info column) like any
/// decoder's. One session at a time; past <see cref="MaxPending"/> waiting sessions, messages go without a
/// summary and are counted as skipped.
/// </summary>
internal sealed class WiresharkFeed(SessionHistory history, WiresharkDissector dissector, DecoderChoices choices, TrafficEventBus bus,
    Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions> options, ILogger<WiresharkFeed> logger) : BackgroundService
{
    public const int MaxPending = 1_000;
    private const int MaxWaits = 5;
    private const int MaxKept = 10_000;

    private readonly ConcurrentDictionary<long, long> _pending = new(); // session → the newest seq the decoding worker saw
    private readonly Dictionary<long, long> _done = []; // the worker's: session → the newest seq summarised
    private readonly Dictionary<long, int> _waits = []; // the worker's: ticks a session's messages were not in the store yet
    private long _skipped;
    private long _decoded;

    /// <summary>Messages that went without a Wireshark summary (too many sessions waiting, tshark missing or failing).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    public long Decoded => Interlocked.Read(ref _decoded);

    public int Pending => _pending.Count;

    /// <summary>The decoding worker saw message <paramref name="seq"/> of a session read by <c>wireshark</c>.</summary>
    public void Note(long sessionId, long seq)
    {
        if (_pending.Count >= MaxPending && !_pending.ContainsKey(sessionId))
        {
            Interlocked.Increment(ref _skipped);
            return;
        }

        _pending.AddOrUpdate(sessionId, seq, (_, seen) => Math.Max(seen, seq));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var sessionId in _pending.Keys.Order().ToArray())
                {
                    if (_pending.TryRemove(sessionId, out var seen))
                    {
                        await DissectAsync(sessionId, seen, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task DissectAsync(long sessionId, long seen, CancellationToken cancellationToken)
    {
        var done = _done.GetValueOrDefault(sessionId);
        try
        {
            var window = options.Value.Decoding.WiresharkWindow;
            var fresh = await history.FindAsync(new MessageQuery { SessionId = sessionId, AfterSeq = done, Limit = window }, cancellationToken).ConfigureAwait(false);
            if (fresh.Count == 0 || fresh[^1].Seq < seen)
            {
                // The capture writer has not stored them yet (or does not keep this session's messages): try again, a few times.
                var waits = _waits.GetValueOrDefault(sessionId) + 1;
                if (waits <= MaxWaits)
                {
                    _waits[sessionId] = waits;
                    Note(sessionId, seen);
                    if (fresh.Count == 0)
                    {
                        return;
                    }
                }
                else if (fresh.Count == 0)
                {
                    _waits.Remove(sessionId);
                    Interlocked.Increment(ref _skipped);
                    return;
                }
            }

            var session = await history.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            if (choices.For(sessionId, session.ListenerId) is not { Name: Decoders.Wireshark } choice)
            {
                return; // its decoder changed since
            }

            var opening = done == 0 ? [] : await history.FindAsync(new MessageQuery { SessionId = sessionId, BeforeSeq = fresh[0].Seq, Limit = WiresharkDissector.OpeningMessages }, cancellationToken).ConfigureAwait(false);
            var read = await dissector.DissectAsync(session, [.. opening, .. fresh], choice.DecodeAs, cancellationToken).ConfigureAwait(false);
            foreach (var message in fresh)
            {
                bus.Publish(new MessageDecoded(message.Seq, sessionId, message.ListenerId, read[message.Seq].Summary));
            }

            Interlocked.Add(ref _decoded, fresh.Count);
            Remember(sessionId, fresh[^1].Seq);
            if (fresh.Count == window)
            {
                Note(sessionId, seen); // more than one window's worth: the rest next tick
            }
        }
        catch (Exception ex) when (ex is CommandException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception or System.Text.Json.JsonException)
        {
            Interlocked.Increment(ref _skipped);
            logger.LogWarning("Wireshark could not read session {Session}'s messages: {Reason}", sessionId, ex.Message);
        }
    }

    private void Remember(long sessionId, long seq)
    {
        _waits.Remove(sessionId);
        if (!_done.ContainsKey(sessionId) && _done.Count >= MaxKept)
        {
            _done.Remove(_done.Keys.Min());
        }

        _done[sessionId] = seq;
    }
}
