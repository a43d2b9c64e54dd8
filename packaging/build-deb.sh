#!/usr/bin/env bash
# Build dist/traywatch_<version>_<arch>.deb from this checkout with dpkg-deb:
#   /usr/lib/traywatch/lib   the app and its Python packages (PySide6, httpx...), compiled
#   /usr/bin/traywatch       a launcher running the system python3 on them, isolated (-I)
#   /usr/share/...           the desktop entry, AppStream metainfo and hicolor icons
# The packages are installed for the system python3 (its minor version goes into Depends:).
# Run with the Python environment that has PySide6 (for the icons), e.g. after .ci/run:
#   PYTHON=.venv/bin/python packaging/build-deb.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$root/.venv/bin/python}"
app_id="io.github.traywatch.Traywatch"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/traywatch/__init__.py")
arch=$(dpkg --print-architecture)
target_python=$(/usr/bin/python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
build_python=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
if [ "$target_python" != "$build_python" ]; then
  echo "build-deb: $python is Python $build_python but /usr/bin/python3 is $target_python" >&2
  exit 1
fi
next_minor="${target_python%.*}.$(( ${target_python#*.} + 1 ))"
deb_version="$version-1"
maintainer="traywatch developers <packaging@traywatch.invalid>"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/traywatch_${deb_version}_${arch}"
lib="$pkg/usr/lib/traywatch/lib"
mkdir -p "$lib" "$pkg/usr/bin" "$pkg/DEBIAN" "$pkg/usr/share/doc/traywatch"

"$python" -m pip wheel -q --no-deps -w "$stage/wheel" "$root"
"$python" -m pip install -q --no-compile --target "$lib" "$stage"/wheel/traywatch-*.whl
# Qt's tools and the Qt modules traywatch never loads (QML, Quick, Designer, SQL...) are not
# shipped: it uses QtCore, QtGui, QtWidgets, QtSvg and QtNetwork, and the platform plugins.
qt="$lib/PySide6"
rm -rf "$lib/bin" "$qt"/{assistant,designer,linguist,lrelease,lupdate,uic,rcc,qmlformat,qmllint,qmlls,qmlcachegen}
rm -rf "$qt"/{examples,include,glue,typesystems,scripts} "$qt"/Qt/{qml,libexec}
rm -rf "$qt"/Qt/plugins/{designer,qmllint,qmltooling,sqldrivers,printsupport,wayland-graphics-integration-server}
for unused in Qml Quick Labs Lottie Designer Help Sql Test UiTools Concurrent PrintSupport WaylandCompositor \
  WaylandEglCompositor; do
  rm -f "$qt"/Qt/lib/libQt6"$unused"*.so* "$qt"/Qt"$unused"*.abi3.so "$qt"/Qt"$unused"*.pyi
done
find "$qt"/Qt/translations -type f ! -name 'qtbase_*' -delete
# Icons are SVG; the other image formats bring their own copies of libtiff, libjpeg and libwebp.
find "$qt"/Qt/plugins/imageformats -type f ! -name 'libqsvg.so' -delete
# Shared objects are data to the loader: not executable, and without their symbol tables.
find "$lib" -type f -name '*.so*' -exec chmod 0644 {} + -exec strip --strip-unneeded {} +
find "$lib" -type f -perm /111 -exec chmod a-x {} +
# No bytecode in the package: postinst compiles it where it is installed, prerm removes it, and
# the launcher never writes any (-B), so nothing is left behind.
find "$lib" -depth -name __pycache__ -type d -exec rm -rf {} +

cat >"$pkg/usr/bin/traywatch" <<'LAUNCHER'
#!/usr/bin/python3 -IB
# traywatch, from the Debian package: the system Python on the packages in /usr/lib/traywatch.
import sys

sys.path.insert(0, "/usr/lib/traywatch/lib")
sys.argv[0] = "/usr/bin/traywatch"
from traywatch.cli import main

sys.exit(main())
LAUNCHER
chmod 0755 "$pkg/usr/bin/traywatch"

share="$pkg/usr/share"
install -D -m 0644 "$here/$app_id.desktop" "$share/applications/$app_id.desktop"
install -D -m 0644 "$here/$app_id.metainfo.xml" "$share/metainfo/$app_id.metainfo.xml"
install -D -m 0644 "$root/resources/app/$app_id.svg" "$share/icons/hicolor/scalable/apps/$app_id.svg"
QT_QPA_PLATFORM=offscreen "$python" "$here/render_icons.py" "$root/resources/app/$app_id.svg" "$share/icons/hicolor"
install -m 0644 "$here/debian/copyright" "$pkg/usr/share/doc/traywatch/copyright"
install -D -m 0644 "$here/traywatch.1" "$share/man/man1/traywatch.1"
gzip -9n "$share/man/man1/traywatch.1"
when="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"
printf 'traywatch (%s) unstable; urgency=medium\n\n  * Built from the source checkout.\n\n -- %s  %s\n' \
  "$deb_version" "$maintainer" "$(date -R -d "@$when")" | gzip -9n >"$pkg/usr/share/doc/traywatch/changelog.Debian.gz"
install -m 0755 "$here/debian/postinst" "$here/debian/prerm" "$pkg/DEBIAN/"
find "$pkg" -type d -exec chmod 0755 {} +

runtime=$(sed -e 's/#.*//' "$here/debian-runtime.txt" | grep -v -x -e '' -e 'python3' -e 'python3-venv' -e 'python3-pip' | tr -s ' \n' ' ')
# libc as the manylinux_2_28 wheels need it; python3 of the minor version the packages are for.
depends="libc6 (>= 2.28), python3 (>= $target_python), python3 (<< $next_minor)"
for p in $runtime; do depends="$depends, $p"; done
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: traywatch
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: net
Priority: optional
Description: tray monitor: is it your connection, or is Messenger down?
 traywatch sits in the system tray and answers at a glance whether Messenger,
 Instagram, WhatsApp or Facebook are down, or your own connection is the
 problem, or the network wants you to sign in. It checks Meta's servers in
 layers against independent control endpoints and notifies once per outage.
CONTROL

mkdir -p "$root/dist"
out="$root/dist/traywatch_${deb_version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz -z6 --build "$pkg" "$out" >/dev/null
echo "$out"
