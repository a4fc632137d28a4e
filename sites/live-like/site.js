/*
 * The live-like outdoor shop's own script: the header, and the Segment calls
 * each page makes on user actions. The snippet in each page's <head> has
 * already made the page's analytics.page() call.
 */
(function () {
  'use strict';

  var PRODUCT = {
    product_id: 'tent-2p',
    sku: 'TENT-2P-GRN',
    name: 'Ridge Tent 2P',
    price: 249,
    category: 'Tents',
    brand: 'Ridgeline'
  };

  function byId(id) {
    return document.getElementById(id);
  }

  function renderHeader() {
    var header = byId('site-header');
    if (!header) return;
    var links = [['/', 'Home'], ['/product.html', 'Ridge Tent'], ['/signup.html', 'Sign up'], ['/stores.html', 'Stores']];
    header.innerHTML = links.map(function (link) {
      return '<a href="' + link[0] + '">' + link[1] + '</a>';
    }).join('');
  }

  function productPage() {
    byId('add-to-cart').addEventListener('click', function () {
      var item = Object.assign({ quantity: 1, currency: 'USD' }, PRODUCT);
      window.analytics.track('Product Added', item);
      byId('cart-status').textContent = 'Added to your cart.';
    });
  }

  function signupPage() {
    byId('signup-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var email = byId('signup-email').value.trim();
      window.analytics.identify('member-1042', { email: email });
      window.analytics.track('Signed Up', { method: 'email' });
      byId('signup-done').hidden = false;
    });
  }

  function thanksPage() {
    var order = new URLSearchParams(window.location.search).get('order');
    if (!order) return;
    byId('order-id').textContent = order;
    window.analytics.track('Order Completed', {
      order_id: order,
      value: PRODUCT.price,
      currency: 'USD',
      products: [Object.assign({ quantity: 1 }, PRODUCT)]
    });
  }

  renderHeader();
  var page = document.body.getAttribute('data-page');
  if (page === 'product') productPage();
  if (page === 'signup') signupPage();
  if (page === 'thanks') thanksPage();
})();
