using Gateway.Framing;
using Gateway.Listeners;

namespace Gateway.Sessions;

/// <summary>What a session is, fixed when it is made: transport, who opened it, framing, endpoints.</summary>
internal sealed record SessionShape(
    ListenerProtocol Protocol,
    SessionKind Kind,
    string Remote,
    string Local,
    FrameFormat? Framing = null,
    bool Tls = false,
    string? Upstream = null);
