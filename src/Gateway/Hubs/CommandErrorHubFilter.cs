using Gateway.Sessions;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Hubs;

/// <summary>Turns a refused command into a hub error whose message the client sees.</summary>
internal sealed class CommandErrorHubFilter : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(
        HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (CommandException ex)
        {
            throw new HubException(ex.Message, ex);
        }
    }
}
