namespace Gateway.Tests.Infrastructure;

/// <summary>One running gateway shared by the tests of a class; each test uses its own sockets and sessions.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public GatewayApp App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await GatewayApp.StartAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}
