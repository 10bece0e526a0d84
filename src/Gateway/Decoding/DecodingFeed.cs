using Gateway.Configuration;
using Gateway.Listeners;
using Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace Gateway.Decoding;

/// <summary>
/// Summaries made off the data plane: an observer with a bounded queue of its own, whose worker decodes each
/// message of a session that has a decoder and publishes <see cref="MessageDecoded"/> (to hub clients, and
/// into the capture store beside the message). While no listener has a decoder and no session chose one,
/// the data plane pays one flag check per message. When the worker cannot keep up, messages go without a
/// summary and are counted as skipped (<c>/api/stats</c> <c>decoding</c>).
/// </summary>
internal sealed class DecodingFeed : BackgroundService, ITrafficObserver
{
    private readonly TrafficEventBus _bus;
    private readonly ObserverSubscription _queue;
    private readonly DecoderChoices _choices;
    private readonly ListenerManager _listeners;
    private readonly Wireshark.WiresharkFeed _wireshark;
    private const int MaxContexts = 10_000;
    private readonly Dictionary<long, DecodeContext> _contexts = []; // the worker's alone
    private volatile bool _active;
    private long _decoded;
    private long _closesDropped;

    public DecodingFeed(TrafficEventBus bus, DecoderChoices choices, ListenerManager listeners, Wireshark.WiresharkFeed wireshark, IOptions<GatewayOptions> options)
    {
        _wireshark = wireshark;
        _bus = bus;
        _choices = choices;
        _listeners = listeners;
        _queue = new ObserverSubscription("decoding", options.Value.Decoding.QueueCapacity, options.Value.Decoding.QueueBytes);
        _active = options.Value.Listeners.Any(l => !string.IsNullOrWhiteSpace(l.Decoder));
        choices.Changed += Refresh;
        bus.Subscribe(this);
    }

    public string Name => _queue.Name;

    public int Capacity => _queue.Capacity;

    public int Pending => _queue.Pending;

    public long PendingBytes => _queue.PendingBytes;

    /// <summary>Messages that went without a summary because the decoder's queue was full (closes it had no room for are not messages).</summary>
    public long Dropped => _queue.Dropped - Interlocked.Read(ref _closesDropped);

    public long Decoded => Interlocked.Read(ref _decoded);

    public void Complete() => _queue.Complete();

    public void Offer(TrafficEvent trafficEvent)
    {
        switch (trafficEvent)
        {
            case TrafficMessage when _active:
                _queue.Offer(trafficEvent);
                break;
            case SessionClosed when _active:
                if (!_queue.Offer(trafficEvent))
                {
                    Interlocked.Increment(ref _closesDropped);
                }

                break;
            case ListenerChanged:
                Refresh();
                break;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (_queue.TryRead(out var trafficEvent))
                {
                    if (trafficEvent is SessionClosed closed)
                    {
                        _contexts.Remove(closed.Session.Id);
                    }
                    else if (trafficEvent is TrafficMessage message && _choices.For(message.SessionId, message.ListenerId) is { } choice)
                    {
                        if (choice.BuiltIn is { } decoder)
                        {
                            var decoded = Decoders.Decode(decoder, message.Data, message.Direction, decoder.UsesContext ? ContextOf(message.SessionId, message.ListenerId) : null);
                            Interlocked.Increment(ref _decoded);
                            _bus.Publish(new MessageDecoded(message.Seq, message.SessionId, message.ListenerId, decoded.Summary));
                        }
                        else if (choice.Name == Decoders.Wireshark)
                        {
                            _wireshark.Note(message.SessionId, message.Seq); // dissected in batches, from the capture store
                        }

                        // layout: the dashboard runs the listener's Kaitai layout itself.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// The session's decode context. A close that went missing (its queue was full) leaves one behind: past
    /// <see cref="MaxContexts"/>, the oldest session's goes, and that session is read as if its start was not seen.
    /// </summary>
    private DecodeContext ContextOf(long sessionId, string? listenerId)
    {
        if (!_contexts.TryGetValue(sessionId, out var context))
        {
            if (_contexts.Count >= MaxContexts)
            {
                _contexts.Remove(_contexts.Keys.Min());
            }

            _contexts[sessionId] = context = new DecodeContext { Ports = Ports(listenerId is null ? null : _listeners.Find(listenerId)) };
        }

        return context;
    }

    /// <summary>A listener's own port and its upstream's: what <c>auto</c> looks up first.</summary>
    private static int[] Ports(GatewayListener? listener) =>
        listener is null ? [] : new[] { listener.Port, listener.UpstreamTarget?.Port ?? 0 }.Where(p => p > 0).ToArray();

    private void Refresh() => _active = _choices.AnyOverride || _listeners.Listeners.Any(l => l.Decoder is not null);
}
