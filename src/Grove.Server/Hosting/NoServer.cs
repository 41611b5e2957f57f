using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace Grove.Server.Hosting;

/// <summary>
/// The web server when nothing needs Kestrel (the web door is off and there is no TLS): the plain and IRC doors have
/// their own transport, and an empty Kestrel would listen on its default, http://localhost:5000.
/// </summary>
internal sealed class NoServer : IServer
{
    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull =>
        Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }
}
