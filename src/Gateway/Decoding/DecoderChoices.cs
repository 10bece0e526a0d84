using System.Collections.Concurrent;
using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Decoding;

/// <summary>A decoder by name, with tshark's Decode As rule when it is <c>wireshark</c>.</summary>
internal sealed record DecoderChoice(string Name, string? DecodeAs = null)
{
    /// <summary>The built-in decoder of that name; null for <c>wireshark</c> and <c>layout</c>.</summary>
    public IMessageDecoder? BuiltIn => Decoders.TryGet(Name, out var decoder) ? decoder : null;
}

/// <summary>
/// Which decoder reads a session's messages: one asked for in the request, else the session's own choice
/// (<c>PUT /api/sessions/{id}/decoder</c>; the newest <see cref="MaxOverrides"/> are kept), else its listener's
/// <c>decoder</c>. A Decode As rule comes the same way: the request's, the session's, the listener's.
/// </summary>
internal sealed class DecoderChoices(ListenerManager listeners)
{
    public const int MaxOverrides = 10_000;

    private readonly ConcurrentDictionary<long, DecoderChoice> _overrides = new();
    private readonly ConcurrentQueue<long> _order = new();

    public static string Usage => string.Join(", ", Decoders.Names);

    /// <summary>Raised when a session's choice is set or cleared.</summary>
    public event Action? Changed;

    public bool AnyOverride => !_overrides.IsEmpty;

    /// <summary>The decoder for a message of a session (its own choice, else its listener's), or null: the decoding worker's question.</summary>
    public DecoderChoice? For(long sessionId, string? listenerId) =>
        Of(sessionId) ?? (listenerId is null ? null : listeners.Find(listenerId)?.DecoderChoice);

    public void Set(long sessionId, string? decoder, string? decodeAs = null)
    {
        if (string.IsNullOrWhiteSpace(decoder))
        {
            _overrides.TryRemove(sessionId, out _);
            Changed?.Invoke();
            return;
        }

        var choice = Validate(decoder, decodeAs);
        if (_overrides.TryAdd(sessionId, choice))
        {
            _order.Enqueue(sessionId);
            while (_overrides.Count > MaxOverrides && _order.TryDequeue(out var oldest))
            {
                _overrides.TryRemove(oldest, out _);
            }
        }
        else
        {
            _overrides[sessionId] = choice;
        }

        Changed?.Invoke();
    }

    public DecoderChoice? Of(long sessionId) => _overrides.GetValueOrDefault(sessionId);

    /// <summary>The decoder for a message of this session: <paramref name="asked"/>, the session's, or its listener's; a 400 when none.</summary>
    public DecoderChoice Choose(SessionInfo session, string? asked, string? askedDecodeAs = null)
    {
        var listener = session.ListenerId is { } id ? listeners.Find(id)?.DecoderChoice : null;
        var own = Of(session.Id);
        var name = !string.IsNullOrWhiteSpace(asked) ? asked : own?.Name ?? listener?.Name;
        if (name is null)
        {
            throw CommandException.BadInput($"Session {session.Id} has no decoder: give ?decoder= ({Usage}), PUT /api/sessions/{session.Id}/decoder, or a listener decoder.");
        }

        return Validate(name, string.IsNullOrWhiteSpace(askedDecodeAs) ? own?.DecodeAs ?? listener?.DecodeAs : askedDecodeAs);
    }

    /// <summary>The choice as the API writes it (lower-case name, trimmed rule); a 400 naming what is wrong.</summary>
    public static DecoderChoice Validate(string decoder, string? decodeAs)
    {
        if (!Decoders.TryName(decoder, out var name))
        {
            throw CommandException.BadInput($"decoder '{decoder}' is not a decoder: use {Usage} (or null for the listener's).");
        }

        decodeAs = string.IsNullOrWhiteSpace(decodeAs) ? null : decodeAs.Trim();
        return Wireshark.WiresharkDissector.TryValidateDecodeAs(decodeAs, out var error) ? new DecoderChoice(name, decodeAs) : throw CommandException.BadInput(error!);
    }
}
