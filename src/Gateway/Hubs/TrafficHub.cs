using Gateway.Security;
using Gateway.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Hubs;

/// <summary>
/// <c>/hubs/traffic</c>: lifecycle events go to every client; <c>traffic</c> batches only for what the
/// client watches. Methods translate to <see cref="SessionCommands"/>; refusals arrive as hub errors.
/// Connecting needs a viewer key; the methods that change something need an operator.
/// </summary>
internal sealed class TrafficHub(TrafficBroadcaster broadcaster, SessionCommands commands, Intercept.InterceptCommands intercept,
    Decoding.DecoderChoices decoders, Decoding.MessageDecoding decoding, Capture.SessionHistory history) : Hub
{
    public override async Task OnConnectedAsync()
    {
        broadcaster.Attach(Context.ConnectionId);
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        await broadcaster.DetachAsync(Context.ConnectionId);
        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>Starts pushing traffic for <paramref name="scope"/>: <c>*</c>, <c>listener:{id}</c> or <c>session:{id}</c>.</summary>
    public void Watch(string scope)
    {
        var parsed = ParseScope(scope);
        if (parsed.Kind == WatchScopeKind.Listener)
        {
            commands.GetListener(parsed.ListenerId!);
        }
        else if (parsed.Kind == WatchScopeKind.Session)
        {
            if (!commands.Existed(parsed.SessionId))
            {
                throw CommandException.NotFound($"Session {parsed.SessionId} does not exist.");
            }
        }

        Feed.Watch(parsed);
    }

    /// <summary>Stops pushing traffic for a scope given to <see cref="Watch"/>.</summary>
    public void Unwatch(string scope) => Feed.Unwatch(ParseScope(scope));

    /// <summary>Injects into a session; returns the number of bytes queued.</summary>
    [Authorize(Policy = Roles.Operator)]
    public Task<int> Send(long sessionId, string data, string encoding) =>
        commands.SendAsync(sessionId, data, encoding, Actor);

    /// <summary>
    /// <see cref="Send"/> with a target: <c>client</c> or <c>upstream</c> (a relay session's server). A
    /// four-argument <c>Send</c> arrives here too (<see cref="OptionalTargetHubProtocol"/>), since SignalR
    /// binds arguments by count and a hub method cannot take an optional one.
    /// </summary>
    [Authorize(Policy = Roles.Operator)]
    public Task<int> SendToTarget(long sessionId, string data, string encoding, string target) =>
        commands.SendAsync(sessionId, data, encoding, Actor, target);

    /// <summary>Closes a session (FIN after anything already queued).</summary>
    [Authorize(Policy = Roles.Operator)]
    public Task Close(long sessionId) => commands.CloseAsync(sessionId, abort: false, Actor);

    /// <summary>Resets a session (RST).</summary>
    [Authorize(Policy = Roles.Operator)]
    public Task Abort(long sessionId) => commands.CloseAsync(sessionId, abort: true, Actor);

    /// <summary>Injects into every open session of a listener.</summary>
    [Authorize(Policy = Roles.Operator)]
    public Task<BroadcastResult> Broadcast(string listenerId, string data, string encoding) =>
        commands.BroadcastAsync(listenerId, data, encoding, Actor);

    /// <summary>Forwards a held message; <paramref name="data"/> null forwards it unchanged.</summary>
    [Authorize(Policy = Roles.Operator)]
    public Task<Intercept.HeldReleasedInfo> ForwardHeld(long heldId, string? data, string? encoding) =>
        intercept.ForwardAsync(heldId, data, encoding, Actor);

    /// <summary>Drops a held message.</summary>
    [Authorize(Policy = Roles.Operator)]
    public Task<Intercept.HeldReleasedInfo> DropHeld(long heldId) => intercept.DropAsync(heldId, Actor);

    /// <summary>A captured message as its protocol reads it (as <c>GET /api/sessions/{id}/messages/{seq}/decoded</c>); decoder null: the session's or its listener's.</summary>
    public Task<Decoding.DecodedMessage> Decode(long sessionId, long seq, string? decoder) =>
        decoding.DecodeAsync(sessionId, seq, decoder, null, Context.ConnectionAborted);

    /// <summary>Chooses a session's decoder (null: its listener's); decodeAs is tshark's rule for <c>wireshark</c>. Returns the choice.</summary>
    [Authorize(Policy = Roles.Operator)]
    public async Task<Api.DecoderRequest> SetDecoder(long sessionId, string? decoder, string? decodeAs)
    {
        await history.GetSessionAsync(sessionId, Context.ConnectionAborted);
        decoders.Set(sessionId, decoder, decodeAs);
        return Api.DecoderRequest.Of(decoders.Of(sessionId));
    }

    private Security.Actor Actor => Security.Actor.Of(Context.GetHttpContext()!, $"hub client {Context.ConnectionId}");

    private HubClientFeed Feed => broadcaster.Find(Context.ConnectionId)
        ?? throw new HubException("This connection is not registered; reconnect.");

    private static WatchScope ParseScope(string scope) => WatchScope.TryParse(scope, out var parsed)
        ? parsed
        : throw new HubException($"Invalid scope '{scope}': {WatchSet.Usage}.");
}
