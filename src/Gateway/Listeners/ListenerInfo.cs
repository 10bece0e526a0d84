namespace Gateway.Listeners;

/// <summary>A listener as the API and the hub show it.</summary>
/// <param name="Id">Stable id, used in routes and watch scopes (the configured name).</param>
/// <param name="Name">Configured name.</param>
/// <param name="Protocol"><c>tcp</c> or <c>udp</c>.</param>
/// <param name="Address">Bound IP address.</param>
/// <param name="Port">Bound port: the real one when 0 was configured.</param>
/// <param name="State"><c>listening</c>, <c>stopped</c> or <c>failed</c>.</param>
/// <param name="Sessions">Sessions open now.</param>
/// <param name="SessionsTotal">Sessions accepted since start.</param>
/// <param name="BytesIn">Bytes received from peers.</param>
/// <param name="BytesOut">Bytes sent to peers.</param>
/// <param name="Error">Why the listener failed, when it did.</param>
public sealed record ListenerInfo(
    string Id,
    string Name,
    ListenerProtocol Protocol,
    string Address,
    int Port,
    ListenerState State,
    int Sessions,
    long SessionsTotal,
    long BytesIn,
    long BytesOut,
    string? Error);
